using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Reflection;

namespace Autodiff.Data;

/// <summary>
/// Data sets bundled with the library. The UCI optical handwritten digits (Alpaydin and Kaynak, 1998;
/// CC BY 4.0): 8x8 images with values 0..16, 3823 training and 1797 test rows.
/// </summary>
public static class Datasets
{
    /// <summary>The bundled optdigits training set (3823 rows, features scaled to 0..1).</summary>
    public static LabeledData OptDigitsTrain() => ReadOptDigits(OpenResource("optdigits.tra.gz"), "optdigits.tra (bundled)");

    /// <summary>The bundled optdigits test set (1797 rows, features scaled to 0..1).</summary>
    public static LabeledData OptDigitsTest() => ReadOptDigits(OpenResource("optdigits.tes.gz"), "optdigits.tes (bundled)");

    /// <summary>Reads an optdigits file (65 comma-separated integers per line: 64 pixels 0..16, then the class 0..9); <c>.gz</c> is unpacked.</summary>
    public static LabeledData ReadOptDigits(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, 0, "the file does not exist");
        }

        Stream stream = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        return ReadOptDigits(stream, path);
    }

    /// <summary>Reads optdigits rows from a stream; <paramref name="name"/> names it in errors.</summary>
    public static LabeledData ReadOptDigits(Stream stream, string name)
    {
        const int Pixels = 64;
        var features = new System.Collections.Generic.List<double>();
        var labels = new System.Collections.Generic.List<int>();
        using var reader = new StreamReader(stream);
        long lineNumber = 0;
        try
        {
            for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                lineNumber++;
                if (line.Length == 0)
                {
                    continue;
                }

                string[] fields = line.Split(',');
                if (fields.Length != Pixels + 1)
                {
                    throw new DataFormatException(name, lineNumber, $"expected {Pixels + 1} comma-separated values (64 pixels and the class), found {fields.Length}");
                }

                for (int i = 0; i <= Pixels; i++)
                {
                    if (!int.TryParse(fields[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
                    {
                        throw new DataFormatException(name, lineNumber, $"value {i + 1} ('{fields[i]}') is not an integer");
                    }

                    if (i < Pixels)
                    {
                        if (value is < 0 or > 16)
                        {
                            throw new DataFormatException(name, lineNumber, $"pixel {i + 1} is {value}; optdigits pixels are 0..16");
                        }

                        features.Add(value / 16.0);
                    }
                    else
                    {
                        if (value is < 0 or > 9)
                        {
                            throw new DataFormatException(name, lineNumber, $"the class is {value}; it must be 0..9");
                        }

                        labels.Add(value);
                    }
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(name, lineNumber, "the compressed data is corrupt (" + e.Message + ")");
        }

        if (labels.Count == 0)
        {
            throw new DataFormatException(name, 0, "the file holds no rows");
        }

        return new LabeledData(features.ToArray(), labels.ToArray(), Pixels, 10);
    }

    private static Stream OpenResource(string file)
    {
        Stream? stream = typeof(Datasets).Assembly.GetManifestResourceStream("Autodiff.Data." + file);
        if (stream is null)
        {
            throw new DataFormatException(file, 0, "the bundled resource is missing from Autodiff.Runtime");
        }

        return new GZipStream(stream, CompressionMode.Decompress);
    }
}
