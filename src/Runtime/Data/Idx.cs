using System;
using System.IO;
using System.IO.Compression;

namespace Autodiff.Data;

/// <summary>
/// Reader for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): big-endian
/// magic (0x00000801 labels, 0x00000803 images), dimensions, then unsigned bytes. Raw or <c>.gz</c>.
/// Every malformed file gives a <see cref="DataFormatException"/> naming the file and the problem.
/// </summary>
public static class Idx
{
    /// <summary>Reads an image file and its label file into rows of pixels scaled to 0..1.</summary>
    public static LabeledData Read(string imagesPath, string labelsPath, int classCount = 10)
    {
        (byte[] pixels, int count, int rows, int columns) = ReadImages(imagesPath);
        byte[] labels = ReadLabels(labelsPath);
        if (labels.Length != count)
        {
            throw new DataFormatException(labelsPath, 0, $"holds {labels.Length} labels but {imagesPath} holds {count} images");
        }

        if (count == 0)
        {
            throw new DataFormatException(imagesPath, 0, "holds no images");
        }

        var features = new double[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            features[i] = pixels[i] / 255.0;
        }

        var classes = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
            {
                throw new DataFormatException(labelsPath, 0, $"label {i} is {labels[i]}; expected 0..{classCount - 1}");
            }

            classes[i] = labels[i];
        }

        return new LabeledData(features, classes, rows * columns, classCount);
    }

    /// <summary>Finds the MNIST file names (raw or .gz) in a folder; null when it holds no MNIST files.</summary>
    public static (string TrainImages, string TrainLabels, string TestImages, string TestLabels)? FindMnist(string directory)
    {
        string? Find(string name) => File.Exists(Path.Combine(directory, name)) ? Path.Combine(directory, name)
            : File.Exists(Path.Combine(directory, name + ".gz")) ? Path.Combine(directory, name + ".gz") : null;
        string? trainImages = Find("train-images-idx3-ubyte"), trainLabels = Find("train-labels-idx1-ubyte");
        string? testImages = Find("t10k-images-idx3-ubyte"), testLabels = Find("t10k-labels-idx1-ubyte");
        if (trainImages is null && trainLabels is null && testImages is null && testLabels is null)
        {
            return null;
        }

        string missing = trainImages is null ? "train-images-idx3-ubyte" : trainLabels is null ? "train-labels-idx1-ubyte"
            : testImages is null ? "t10k-images-idx3-ubyte" : testLabels is null ? "t10k-labels-idx1-ubyte" : string.Empty;
        if (missing.Length > 0)
        {
            throw new DataFormatException(directory, 0, $"has some MNIST files but not {missing}[.gz]");
        }

        return (trainImages!, trainLabels!, testImages!, testLabels!);
    }

    private static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        byte[] data = ReadAll(path);
        Header(data, path, 0x00000803, 16, "an image file (idx3-ubyte)");
        int count = BigEndian(data, 4), rows = BigEndian(data, 8), columns = BigEndian(data, 12);
        if (count < 0 || rows <= 0 || columns <= 0)
        {
            throw new DataFormatException(path, 0, $"has impossible dimensions {count} x {rows} x {columns}");
        }

        long expected = 16 + (long)count * rows * columns;
        if (data.Length != expected)
        {
            throw new DataFormatException(path, 0, $"is {data.Length} bytes but its header ({count} images of {rows}x{columns}) needs {expected}: the file is truncated or corrupt");
        }

        return (data.AsSpan(16).ToArray(), count, rows, columns);
    }

    private static byte[] ReadLabels(string path)
    {
        byte[] data = ReadAll(path);
        Header(data, path, 0x00000801, 8, "a label file (idx1-ubyte)");
        int count = BigEndian(data, 4);
        if (count < 0 || data.Length != 8L + count)
        {
            throw new DataFormatException(path, 0, $"is {data.Length} bytes but its header ({count} labels) needs {8L + count}: the file is truncated or corrupt");
        }

        return data.AsSpan(8).ToArray();
    }

    private static void Header(byte[] data, string path, int magic, int headerLength, string what)
    {
        // The magic number first: a label file passed as images should say so, not "too short".
        if (data.Length >= 4 && BigEndian(data, 0) is int actual && actual != magic)
        {
            throw new DataFormatException(path, 0, $"starts with 0x{actual:x8}, not 0x{magic:x8}: it is not {what}");
        }

        if (data.Length < headerLength)
        {
            throw new DataFormatException(path, 0, $"is only {data.Length} bytes: too short for {what}");
        }
    }

    private static int BigEndian(byte[] data, int offset) => (data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3];

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, 0, "the file does not exist");
        }

        try
        {
            using Stream file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, 0, "the compressed data is corrupt (" + e.Message + ")");
        }
        catch (EndOfStreamException e)
        {
            throw new DataFormatException(path, 0, "the compressed data ends early (" + e.Message + ")");
        }
    }
}
