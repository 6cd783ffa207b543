using Autodiff;
using Autodiff.Training;
using Xunit;

namespace Autodiff.Runtime.Tests;

public class CheckpointTests
{
    [Fact]
    public void Round_trip_restores_every_parameter_and_the_counters()
    {
        string path = Path.Combine(Path.GetTempPath(), "ckpt-" + Guid.NewGuid().ToString("N") + ".adck");
        try
        {
            var model = new LayeredNet(5, 6, 3, seed: 1);
            Checkpoint.Save(path, model, new CheckpointInfo(7, 1234));
            var other = new LayeredNet(5, 6, 3, seed: 2);
            CheckpointInfo info = Checkpoint.Load(path, other);
            Assert.Equal(new CheckpointInfo(7, 1234), info);
            foreach ((NamedTensor a, NamedTensor b) in model.Tensors().Zip(other.Tensors()))
            {
                Assert.Equal(a.Value.Span.ToArray(), b.Value.Span.ToArray());
            }

            Assert.False(File.Exists(path + ".tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncated_corrupt_foreign_or_mismatched_files_give_clear_errors_and_change_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), "ckpt-" + Guid.NewGuid().ToString("N") + ".adck");
        try
        {
            var model = new LayeredNet(5, 6, 3, seed: 1);
            Checkpoint.Save(path, model, new CheckpointInfo(1, 10));
            byte[] good = File.ReadAllBytes(path);
            var target = new LayeredNet(5, 6, 3, seed: 2);
            float[] before = target.Hidden.Weight.Span.ToArray();

            File.WriteAllBytes(path, good[..(good.Length / 2)]);
            Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, target)).Message);

            byte[] flipped = (byte[])good.Clone();
            flipped[good.Length / 2] ^= 0x10;
            File.WriteAllBytes(path, flipped);
            Assert.Contains("checksum mismatch", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, target)).Message);

            File.WriteAllText(path, "hello, not a checkpoint");
            Assert.Contains("not an Autodiff checkpoint", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, target)).Message);

            File.WriteAllBytes(path, good);
            var wider = new LayeredNet(5, 7, 3, seed: 2);
            Assert.Contains("'Hidden.Weight' (5, 6) in the checkpoint but 'Hidden.Weight' (5, 7)", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, wider)).Message);

            Assert.Equal(before, target.Hidden.Weight.Span.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A 16 MB tensor set shaped like the child process's model.</summary>
    private sealed class Blob : ITensorSet
    {
        public Tensor Values { get; } = new(4_000_000);

        public void CollectTensors(List<NamedTensor> into, string prefix) => into.Add(new NamedTensor(prefix + "Values", Values));
    }

    [Fact]
    public void KillingAProcessDuringASave_LeavesTheLastCompleteCheckpointLoadable()
    {
        string writer = Path.Combine(AppContext.BaseDirectory, "Autodiff.CheckpointWriter.dll");
        Assert.True(File.Exists(writer), writer);
        string path = Path.Combine(Path.GetTempPath(), "ckpt-kill-" + Guid.NewGuid().ToString("N") + ".adck");
        var random = new Random(5);
        try
        {
            for (int round = 0; round < 4; round++)
            {
                var start = new System.Diagnostics.ProcessStartInfo("dotnet", new[] { writer, path }) { RedirectStandardOutput = true, RedirectStandardError = true };
                using var child = System.Diagnostics.Process.Start(start)!;
                int saved = 0;
                string? line;
                while ((line = child.StandardOutput.ReadLine()) is not null && saved < 1 + round)
                {
                    saved = int.Parse(line["saved ".Length..]);
                }

                Thread.Sleep(random.Next(0, 120)); // somewhere inside a later save: serialising, hashing, writing or renaming
                child.Kill(entireProcessTree: true);
                child.WaitForExit();

                var blob = new Blob();
                CheckpointInfo info = Checkpoint.Load(path, blob);
                Assert.True(info.Epoch >= saved, $"round {round}: loaded save {info.Epoch}, but save {saved} had completed");
                Assert.All(new[] { 0, 1, 1_999_999, 3_999_999 }, i => Assert.Equal(info.Epoch, blob.Values.Span[i]));
            }
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".tmp");
        }
    }
}
