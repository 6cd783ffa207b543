using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace Autodiff.Training;

/// <summary>Writes epoch metrics as CSV (one row per epoch) or JSON (an array of objects); invariant culture, round-trip numbers.</summary>
public static class TrainingHistory
{
    /// <summary>The CSV header, in column order.</summary>
    public const string CsvHeader = "epoch,batch_loss,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,samples_per_second";

    /// <summary>Writes <paramref name="history"/> to <paramref name="path"/> as CSV.</summary>
    public static void SaveCsv(IEnumerable<EpochMetrics> history, string path)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (EpochMetrics m in history)
        {
            text.Append(string.Join(",",
                m.Epoch.ToString(CultureInfo.InvariantCulture), Number(m.BatchLoss), Number(m.TrainLoss), Number(m.TrainAccuracy),
                Number(m.ValidationLoss), Number(m.ValidationAccuracy), Number(m.LearningRate), Number(m.Seconds), Number(m.SamplesPerSecond))).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>Writes <paramref name="history"/> to <paramref name="path"/> as a JSON array (NaN, e.g. no validation data, becomes null).</summary>
    public static void SaveJson(IEnumerable<EpochMetrics> history, string path)
    {
        using FileStream file = File.Create(path);
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        foreach (EpochMetrics m in history)
        {
            json.WriteStartObject();
            json.WriteNumber("epoch", m.Epoch);
            Write(json, "batch_loss", m.BatchLoss);
            Write(json, "train_loss", m.TrainLoss);
            Write(json, "train_accuracy", m.TrainAccuracy);
            Write(json, "validation_loss", m.ValidationLoss);
            Write(json, "validation_accuracy", m.ValidationAccuracy);
            Write(json, "learning_rate", m.LearningRate);
            Write(json, "seconds", m.Seconds);
            Write(json, "samples_per_second", m.SamplesPerSecond);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static string Number(double value) => double.IsNaN(value) ? string.Empty : value.ToString("R", CultureInfo.InvariantCulture);

    private static void Write(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
