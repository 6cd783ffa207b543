using System.Diagnostics;
using Xunit;

namespace Autodiff.IntegrationTests;

/// <summary>
/// The package a user gets: `dotnet pack`, then a separate project that references it (from a local folder)
/// builds with the installed SDK, gets the generated methods, and runs them.
/// </summary>
public class PackageTests
{
    // Beside the README's quick start (Program.cs, verbatim): a model, the data and a module initializer that prints
    // what the test checks (it runs before the README's top-level statements).
    private const string Checks = """
        using Autodiff;
        using Autodiff.Data;

        internal static class Checks
        {
            [System.Runtime.CompilerServices.ModuleInitializer]
            internal static void Run()
            {
                var w = new[] { 0.5, -1.25, 2.0 };
                var dw = new double[3];
                double value = Model.FGradient(0.3, w, out double dx, dw);
                System.Console.WriteLine($"value={value:F6} dx={dx:F6} dw0={dw[0]:F6}");
                System.Console.WriteLine($"rows={Datasets.OptDigitsTest().Count}");
                var net = new Net();
                var gradient = net.CreateGradient();
                float loss = net.LossGradient(Tensor.Full(1f, 2, 3), new[] { 0, 1 }, gradient);
                net.Step(new Autodiff.Optimizers.Adam(0.01), gradient);
                System.Console.WriteLine($"model={loss > 0} params={net.Parameters().Count}");
            }
        }

        [Model]
        public sealed partial class Net
        {
            public Autodiff.Layers.Dense Layer = new(3, 2, new System.Random(1));

            [Differentiable]
            public float Loss(Tensor x, int[] labels) => Tensor.SoftmaxCrossEntropy(Layer.Forward(x), labels);
        }
        """;

    /// <summary>The README's first C# block, as a user pastes it into Program.cs.</summary>
    private static string ReadmeQuickStart(string root)
    {
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int start = readme.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
    }

    // The machine's package cache doubles as a feed, so the consumer restores the runtime's dependencies offline.
    private static string GlobalPackages()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } path ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    [Fact]
    public void PackedPackage_GivesConsumerTheGeneratorAndRuntime()
    {
        string root = FindRoot();
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string work = Path.Combine(Path.GetTempPath(), "autodiff-package-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        string app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        try
        {
            Run(root, "dotnet", $"pack src/Runtime -c {configuration} -o \"{feed}\" --nologo");
            string package = Assert.Single(Directory.GetFiles(feed, "Autodiff.*.nupkg"));
            using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
            {
                // The generator and the code fixes beside it (the IDE loads those; the compiler finds nothing to run in them).
                Assert.Contains(zip.Entries, e => e.FullName == "analyzers/dotnet/cs/Autodiff.Generator.dll");
                Assert.Contains(zip.Entries, e => e.FullName == "analyzers/dotnet/cs/Autodiff.CodeFixes.dll");
            }

            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestoreSources>{feed};{GlobalPackages()};https://api.nuget.org/v3/index.json</RestoreSources>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Autodiff" Version="0.1.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeQuickStart(root));
            File.WriteAllText(Path.Combine(app, "Checks.cs"), Checks);
            string output = Run(app, "dotnet", "run --nologo");

            double s = Math.Sin(0.15) + Math.Sin(-0.375) + Math.Sin(0.6);
            Assert.Contains($"value={s * s:F6}", output, StringComparison.Ordinal);
            Assert.Contains("rows=1797", output, StringComparison.Ordinal);
            Assert.Contains("model=True params=2", output, StringComparison.Ordinal);
            Assert.Contains($"F = {s * s}, dF/dx = ", output, StringComparison.Ordinal);   // the README's own line
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Autodiff.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Autodiff.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Run(string directory, string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // A nested build must not reuse the outer test run's build servers or node reuse settings.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} took over 5 minutes");
        }

        string output = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"{file} {arguments} failed ({process.ExitCode}):\n{output}");
        return output;
    }
}
