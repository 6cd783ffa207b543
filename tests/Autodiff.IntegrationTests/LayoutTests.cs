using Xunit;

namespace Autodiff.IntegrationTests;

/// <summary>The repository's own rules about its shape.</summary>
public class LayoutTests
{
    /// <summary>No source file over 600 lines, unless its summary says why it is one file (the GEMM kernels).</summary>
    [Fact]
    public void Source_files_stay_under_600_lines_or_say_why()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Autodiff.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        var tooLong = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(f => (File: Path.GetRelativePath(root, f), Text: File.ReadAllText(f)))
            .Where(f => f.Text.Split('\n').Length > 600 && !f.Text.Contains("One file of over 600 lines on purpose", StringComparison.Ordinal))
            .Select(f => f.File)
            .ToList();
        Assert.True(tooLong.Count == 0, "Over 600 lines without a reason: " + string.Join(", ", tooLong));
    }
}
