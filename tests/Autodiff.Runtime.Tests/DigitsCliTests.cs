using System.Diagnostics;
using Autodiff.Data;
using Digits;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>
/// The main job as a person runs it: the built example in its own process. Bad input is a one-line error with
/// usage or a hint and a non-zero exit, never a stack trace; a good run saves what it learned.
/// </summary>
public sealed class DigitsCliTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "digits-cli-" + Guid.NewGuid().ToString("N"));

    public DigitsCliTests() => Directory.CreateDirectory(_scratch);

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private sealed record Run(int ExitCode, string Out, string Error);

    private Run Digits(params string[] args)
    {
        string dll = Path.Combine(Path.GetDirectoryName(typeof(DigitsTrainer).Assembly.Location)!, "Digits.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _scratch };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CI"] = "true";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("Digits did not finish: " + string.Join(" ", args));
        }

        var run = new Run(process.ExitCode, output.Result, error.Result);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);        // no stack trace
        Assert.DoesNotContain("(Parameter '", run.Error, StringComparison.Ordinal);  // no debugger wording
        return run;
    }

    private void AssertRefused(Run run, string message)
    {
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Training a", run.Out, StringComparison.Ordinal);      // refused before any work
    }

    [Theory]
    [InlineData("--verbose", "Unknown flag '--verbose'")]
    [InlineData("stray", "Unexpected argument 'stray'")]
    [InlineData("--epochs", "--epochs needs a value")]
    [InlineData("--optimizer foo", "--optimizer 'foo' is not one of sgd, momentum")]
    [InlineData("--schedule foo", "--schedule 'foo' is not one of none, cosine, step")]
    [InlineData("--lr 1e309", "--lr expects a finite number, got '1e309'")]
    [InlineData("--lr 0", "--lr must be positive")]
    [InlineData("--weight-decay -1", "--weight-decay must be 0 or more")]
    [InlineData("--weight-decay NaN", "--weight-decay expects a finite number")]
    [InlineData("--threads 1000", "--threads must be between 1 and")]
    public void A_bad_flag_is_refused_with_usage(string args, string message)
    {
        Run run = Digits(args.Split(' '));
        AssertRefused(run, message);
        Assert.Contains("usage:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_out_is_refused() => AssertRefused(Digits("--out", ""), "--out needs a value, got an empty one");

    [Fact]
    public void An_out_that_is_a_file_is_refused_before_training()
    {
        string file = Path.Combine(_scratch, "a-file");
        File.WriteAllText(file, "x");
        AssertRefused(Digits("--out", file), "is a file; give a folder");
    }

    [Fact]
    public void An_out_that_cannot_be_written_is_refused_before_training()
    {
        // A folder below a file cannot be created, whoever runs the test (root ignores permission bits).
        string file = Path.Combine(_scratch, "a-file");
        File.WriteAllText(file, "x");
        AssertRefused(Digits("--out", Path.Combine(file, "sub")), "cannot be written");
        AssertRefused(Digits("--checkpoint", Path.Combine(file, "sub", "c.adck")), "--checkpoint");
    }

    [Fact]
    public void Resume_from_a_folder_or_a_missing_file_is_refused()
    {
        AssertRefused(Digits("--resume", _scratch), "--resume expects a checkpoint file");
        AssertRefused(Digits("--resume", Path.Combine(_scratch, "none.adck")), "does not exist");
    }

    [Fact]
    public void Data_that_is_a_file_is_refused()
    {
        string file = Path.Combine(_scratch, "optdigits.tra");
        File.WriteAllText(file, "1,2,3");
        AssertRefused(Digits("--data", file), "--data expects a folder");
    }

    [Fact]
    public void An_IDX_file_without_images_is_named()
    {
        string folder = Path.Combine(_scratch, "mnist");
        Directory.CreateDirectory(folder);
        foreach (string prefix in new[] { "train", "t10k" })
        {
            File.WriteAllBytes(Path.Combine(folder, prefix + "-images-idx3-ubyte"), new byte[] { 0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28 });
            File.WriteAllBytes(Path.Combine(folder, prefix + "-labels-idx1-ubyte"), new byte[] { 0, 0, 8, 1, 0, 0, 0, 0 });
        }

        Run run = Digits("--data", folder);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("train-images-idx3-ubyte", run.Error, StringComparison.Ordinal);
        Assert.Contains("holds no images", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_one_epoch_run_saves_everything_and_says_epoch()
    {
        string output = Path.Combine(_scratch, "out");
        Run run = Digits("--epochs", "1", "--hidden", "16", "--out", output);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("Stopped after 1 epoch (", run.Out, StringComparison.Ordinal);
        foreach (string file in new[] { "model.adck", "history.csv", "history.json", "learning-curve.png", "checkpoint.adck" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        }

        // Resuming with another learning rate applies it, and says so.
        Run resumed = Digits("--epochs", "2", "--hidden", "16", "--out", output, "--resume", Path.Combine(output, "checkpoint.adck"), "--lr", "0.01");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("lr 0.01", resumed.Out, StringComparison.Ordinal);
        Assert.Contains("the learning rate, schedule and weight decay are this command line's", resumed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Resuming_with_another_learning_rate_trains_with_it()
    {
        string checkpoint = Path.Combine(_scratch, "c.adck");
        LabeledData train = Datasets.OptDigitsTrain(), test = Datasets.OptDigitsTest();
        var options = new TrainingOptions { Epochs = 1, Hidden = 16, Seed = 3, Augment = false, CheckpointPath = checkpoint };
        DigitsTrainer.Train(train, test, options);
        float[] Resumed(double lr)
        {
            string copy = Path.Combine(_scratch, Guid.NewGuid().ToString("N") + ".adck");
            File.Copy(checkpoint, copy);
            return DigitsTrainer.Train(train, test, options with { Epochs = 2, LearningRate = lr, ResumePath = copy, CheckpointPath = copy, Patience = 100 }).Model.Hidden.Weight.Span.ToArray();
        }

        Assert.Equal(Resumed(2e-3), Resumed(2e-3));
        Assert.NotEqual(Resumed(2e-3), Resumed(2e-2));
    }
}
