using System.IO.Compression;
using Autodiff.Data;
using Xunit;

namespace Autodiff.Runtime.Tests;

public sealed class IdxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("idx").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Images(int count, int rows, int columns, int? truncateTo = null)
    {
        var bytes = new List<byte> { 0, 0, 8, 3 };
        foreach (int v in new[] { count, rows, columns })
        {
            bytes.AddRange(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
        }

        for (int i = 0; i < count * rows * columns; i++)
        {
            bytes.Add((byte)(i % 256));
        }

        return truncateTo is { } n ? bytes.Take(n).ToArray() : bytes.ToArray();
    }

    private static byte[] Labels(params byte[] labels)
        => new byte[] { 0, 0, 8, 1, 0, 0, (byte)(labels.Length >> 8), (byte)labels.Length }.Concat(labels).ToArray();

    private string Write(string name, byte[] data, bool gzip = false)
    {
        string path = Path.Combine(_dir, name + (gzip ? ".gz" : string.Empty));
        if (gzip)
        {
            using var file = File.Create(path);
            using var stream = new GZipStream(file, CompressionLevel.Fastest);
            stream.Write(data);
        }
        else
        {
            File.WriteAllBytes(path, data);
        }

        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzip(bool gzip)
    {
        var data = Idx.Read(Write("img", Images(3, 2, 2), gzip), Write("lbl", Labels(1, 2, 9), gzip));
        Assert.Equal(3, data.Count);
        Assert.Equal(4, data.FeatureCount);
        Assert.Equal(new[] { 1, 2, 9 }, data.Labels);
        Assert.Equal(5 / 255.0, data.Row(1)[1], 12);
    }

    [Fact]
    public void TruncatedImages_NameTheFileAndSizes()
    {
        string images = Write("img", Images(3, 2, 2, truncateTo: 20));
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(images, Write("lbl", Labels(1, 2, 3))));
        Assert.Equal($"{images}: is 20 bytes but its header (3 images of 2x2) needs 28: the file is truncated or corrupt", e.Message);
    }

    [Fact]
    public void SwappedFiles_AreRecognised()
    {
        string labels = Write("lbl", Labels(1, 2, 3));
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(labels, labels));
        Assert.Contains("starts with 0x00000801, not 0x00000803: it is not an image file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountMismatch_IsReported()
    {
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(Write("img", Images(3, 2, 2)), Write("lbl", Labels(1, 2))));
        Assert.Contains("holds 2 labels but", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALabelOutOfRange_IsADataFormatError()
    {
        // Label 10 in a 10-class file: the range check names the file and the label.
        string labels = Write("lbl", Labels(1, 10, 3));
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(Write("img", Images(3, 2, 2)), labels));
        Assert.Contains("label 1 is 10; expected 0..9", e.Message, StringComparison.Ordinal);
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageFileWithNoImages_IsNamed()
    {
        string images = Write("img", Images(0, 2, 2));
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(images, Write("lbl", Labels())));
        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("holds no images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptGzip_IsReported()
    {
        string path = Path.Combine(_dir, "img.gz");
        File.WriteAllBytes(path, new byte[] { 0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7 });
        var e = Assert.Throws<DataFormatException>(() => Idx.Read(path, path));
        Assert.StartsWith(path + ": the compressed data", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindMnist_ReportsAMissingFile()
    {
        Write("train-images-idx3-ubyte", Images(1, 1, 1), gzip: true);
        var e = Assert.Throws<DataFormatException>(() => Idx.FindMnist(_dir));
        Assert.Contains("not train-labels-idx1-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Null(Idx.FindMnist(Directory.CreateTempSubdirectory("empty").FullName));
    }
}
