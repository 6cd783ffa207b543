using System.Globalization;
using Autodiff.Data;
using Digits;

// Trains a digit classifier whose gradient the Autodiff generator wrote (see Mlp.cs), on the bundled
// UCI optical digits. Run: dotnet run --project examples/Digits -- [--epochs N] [--lr X] ...
TrainingOptions options;
try
{
    options = ParseArguments(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    LabeledData train = options.DataPath is null ? Datasets.OptDigitsTrain() : Datasets.ReadOptDigits(Path.Combine(options.DataPath, "optdigits.tra"));
    LabeledData test = options.DataPath is null ? Datasets.OptDigitsTest() : Datasets.ReadOptDigits(Path.Combine(options.DataPath, "optdigits.tes"));
    Console.WriteLine($"Training a {train.FeatureCount}-{options.Hidden}-10 MLP on {train.Count} optdigits images ({options.ValidationFraction:P0} held out for validation), testing on {test.Count}.");
    Console.WriteLine($"optimizer {options.Optimizer}, lr {options.LearningRate}, batch {options.BatchSize}, up to {options.Epochs} epochs, patience {options.Patience}, seed {options.Seed}, {options.Threads} thread(s)");
    Console.WriteLine();
    Console.WriteLine(" epoch   train loss  train acc   val loss   val acc    time");

    TrainingResult result = DigitsTrainer.Train(train, test, options, e =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.Epoch,6}   {e.TrainLoss,10:F4}   {e.TrainAccuracy,8:P2}  {e.ValidationLoss,9:F4}  {e.ValidationAccuracy,8:P2}  {e.Seconds,5:F2}s")));

    Console.WriteLine();
    Console.WriteLine($"Stopped after {result.History.Count} epochs; restored the best validation loss from epoch {result.BestEpoch}.");
    Console.WriteLine($"Training throughput: {result.SamplesPerSecond:N0} samples/s (forward + generated backward + Adam).");
    Console.WriteLine();
    PrintPerClass(result.Confusion);
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Test accuracy: {result.TestAccuracy:P2} on {test.Count} images"));

    if (options.OutputDirectory is { } directory)
    {
        Directory.CreateDirectory(directory);
        string model = Path.Combine(directory, "model.txt");
        File.WriteAllLines(model, result.Parameters.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        string history = Path.Combine(directory, "history.csv");
        File.WriteAllLines(history, new[] { "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds" }
            .Concat(result.History.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Epoch},{e.TrainLoss:R},{e.TrainAccuracy:R},{e.ValidationLoss:R},{e.ValidationAccuracy:R},{e.Seconds:R}"))));
        Console.WriteLine($"Saved the model to {Path.GetFullPath(model)} and the learning curve to {Path.GetFullPath(history)}.");
    }

    return 0;
}
catch (DataFormatException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
catch (Exception e) when (e is InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

static void PrintPerClass(int[,] confusion)
{
    Console.WriteLine("Confusion matrix (rows: true digit, columns: predicted) and per-class accuracy:");
    Console.WriteLine("        " + string.Concat(Enumerable.Range(0, 10).Select(k => $"{k,5}")) + "   accuracy");
    for (int row = 0; row < 10; row++)
    {
        int total = Enumerable.Range(0, 10).Sum(c => confusion[row, c]);
        string cells = string.Concat(Enumerable.Range(0, 10).Select(c => $"{confusion[row, c],5}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {row,4}  {cells}   {(total == 0 ? 0 : (double)confusion[row, row] / total),8:P1}"));
    }
}

static TrainingOptions ParseArguments(string[] args)
{
    var options = new TrainingOptions();
    for (int i = 0; i < args.Length; i++)
    {
        string flag = args[i];
        if (flag is "--help" or "-h")
        {
            Console.WriteLine(Usage);
            Environment.Exit(0);
        }

        if (i + 1 >= args.Length)
        {
            throw new ArgumentException($"{flag} needs a value.");
        }

        string value = args[++i];
        options = flag switch
        {
            "--optimizer" => options with { Optimizer = value },
            "--lr" => options with { LearningRate = Positive(flag, ParseDouble(flag, value)) },
            "--epochs" => options with { Epochs = (int)Positive(flag, ParseInt(flag, value)) },
            "--batch-size" => options with { BatchSize = (int)Positive(flag, ParseInt(flag, value)) },
            "--hidden" => options with { Hidden = (int)Positive(flag, ParseInt(flag, value)) },
            "--seed" => options with { Seed = ParseInt(flag, value) },
            "--patience" => options with { Patience = (int)Positive(flag, ParseInt(flag, value)) },
            "--weight-decay" => options with { WeightDecay = ParseDouble(flag, value) },
            "--threads" => options with { Threads = (int)Positive(flag, ParseInt(flag, value)) },
            "--out" => options with { OutputDirectory = value },
            "--data" => options with { DataPath = value },
            _ => throw new ArgumentException($"Unknown flag '{flag}'."),
        };
    }

    return options;
}

static double ParseDouble(string flag, string value)
    => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) ? result : throw new ArgumentException($"{flag} expects a number, got '{value}'.");

static int ParseInt(string flag, string value)
    => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result) ? result : throw new ArgumentException($"{flag} expects an integer, got '{value}'.");

static double Positive(string flag, double value) => value > 0 ? value : throw new ArgumentException($"{flag} must be positive, got {value}.");

partial class Program
{
    private const string Usage = """
        usage: dotnet run --project examples/Digits -- [options]
          --optimizer NAME     sgd, momentum, nesterov, adagrad, rmsprop, adam (default) or adamw
          --lr X               learning rate (default 0.002)
          --epochs N           most epochs (default 60)
          --batch-size N       mini-batch size (default 32)
          --hidden N           hidden units (default 128)
          --seed N             seed for initialisation, split and shuffling (default 1)
          --patience N         epochs without validation improvement before stopping (default 10)
          --weight-decay X     decoupled weight decay (AdamW), default 0.05
          --threads N          worker threads (default: 2 or fewer cores)
          --out DIR            write model.txt and history.csv there
          --data DIR           read optdigits.tra and optdigits.tes from DIR instead of the bundled copy
        """;
}
