using Autodiff;
using Autodiff.Data;
using Autodiff.Optimizers;
using Autodiff.Training;
using RowRnn;

// Reads each bundled 8x8 digit one pixel row at a time with a recurrent network (RowRnnModel) and trains it with
// the library's trainer. Options: --epochs N (default 60), --hidden N (default 64), --seed N (default 1).
int epochs = 60, hidden = 64, seed = 1;
for (int i = 0; i < args.Length; i++)
{
    bool valued = i + 1 < args.Length && int.TryParse(args[i + 1], out _);
    switch (args[i])
    {
        case "--epochs" when valued: epochs = int.Parse(args[++i]); break;
        case "--hidden" when valued: hidden = int.Parse(args[++i]); break;
        case "--seed" when valued: seed = int.Parse(args[++i]); break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Options: --epochs N, --hidden N, --seed N.");
            return 2;
    }
}

LabeledData all = Datasets.OptDigitsTrain();
LabeledData test = Datasets.OptDigitsTest();
(LabeledData train, LabeledData validation) = all.Split(0.1, seed);
var model = new RowRnnModel(rowWidth: 8, rows: 8, hidden, seed);
var trainer = RowRnnTraining.Create(model, epochs, seed);
trainer.EpochEnded += metrics =>
{
    if (metrics.Epoch % 5 == 0 || metrics.Epoch == 1)
    {
        Console.WriteLine($"epoch {metrics.Epoch,3}  loss {metrics.ValidationLoss:F4}  validation accuracy {metrics.ValidationAccuracy:P2}  ({metrics.SamplesPerSecond:N0} samples/s)");
    }
};

Console.WriteLine($"Row-by-row RNN on optdigits: {train.Count} training, {validation.Count} validation, {test.Count} test images; hidden {hidden}.");
TrainingResult result = trainer.Fit(train, validation);
(double loss, double accuracy) = trainer.Evaluate(test);
Console.WriteLine($"Stopped: {result.StopReason} after {result.History.Count} epochs (best {result.BestEpoch}). Test accuracy: {accuracy:P2} (loss {loss:F4}).");
return 0;

/// <summary>The trainer set-up shared by the program and its test.</summary>
public static class RowRnnTraining
{
    public static Trainer<RowRnnModel.Gradient> Create(RowRnnModel model, int epochs, int seed)
        => new(model, model.CreateGradient(), new Adam(3e-3) { ClipNorm = 5 },
            lossGradient: model.LossGradient, logits: model.Forward, step: model.Step,
            new TrainerOptions { Epochs = epochs, BatchSize = 64, Seed = seed, Patience = 10, Schedule = new CosineDecay(3e-3, epochs) });
}
