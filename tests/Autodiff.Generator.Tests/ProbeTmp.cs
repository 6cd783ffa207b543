using Xunit;
namespace Autodiff.Generator.Tests;

public class ProbeTmp
{
    [Fact]
    public void Probe()
    {
        string? output = Environment.GetEnvironmentVariable("PROBE_OUT");
        string? input = Environment.GetEnvironmentVariable("PROBE_IN");
        if (output is null || input is null) return;
        var result = GeneratorHarness.Run(File.ReadAllText(input));
        File.WriteAllText(output, string.Join("\n//=====\n", result.Sources.Select(s => s.SourceText.ToString())) + "\n//ERRORS\n" + string.Join("\n", result.CompilerErrors()) + "\n//AD\n" + string.Join("\n", result.AutodiffDiagnostics()));
    }
}
