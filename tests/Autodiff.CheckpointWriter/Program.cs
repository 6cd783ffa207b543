using Autodiff;
using Autodiff.Training;

// Child process of the checkpoint crash test (CheckpointTests.KillingAProcessDuringASave_...): saves a 16 MB
// "model" over and over, every value of save k equal to k, and prints "saved k" after each save. The test kills
// it at random moments and then checks that the file still loads and is one whole save.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Autodiff.CheckpointWriter PATH");
    return 2;
}

var model = new Blob(4_000_000);
for (int k = 1; k < int.MaxValue; k++)
{
    model.Values.Span.Fill(k);
    Checkpoint.Save(args[0], model, new CheckpointInfo(k, k));
    Console.WriteLine($"saved {k}");
}

return 0;

sealed class Blob(int length) : ITensorSet
{
    public Tensor Values { get; } = new(length);

    public void CollectTensors(List<NamedTensor> into, string prefix) => into.Add(new NamedTensor(prefix + "Values", Values));
}
