using System.IO.Compression;
using System.Text;
using Autodiff.Data;
using Xunit;

namespace Autodiff.Runtime.Tests;

public class DatasetTests
{
    [Fact]
    public void LabeledData_RefusesLabelsOutOfRangeAndNonFiniteFeatures()
    {
        Assert.Contains("label 1 is 10; labels must be in 0..9", Assert.Throws<ArgumentException>(() => new LabeledData(new double[2], new[] { 3, 10 }, 1, 10)).Message, StringComparison.Ordinal);
        Assert.Contains("label 0 is -1", Assert.Throws<ArgumentException>(() => new LabeledData(new double[2], new[] { -1, 0 }, 1, 10)).Message, StringComparison.Ordinal);
        Assert.Contains("row 1, feature 0 is NaN", Assert.Throws<ArgumentException>(() => new LabeledData(new[] { 0.5, double.NaN }, new[] { 0, 1 }, 1, 10)).Message, StringComparison.Ordinal);
        Assert.Contains("is ∞", Assert.Throws<ArgumentException>(() => new LabeledData(new[] { double.PositiveInfinity, 0 }, new[] { 0, 1 }, 1, 10)).Message.Replace("Infinity", "∞"), StringComparison.Ordinal);
    }

    [Fact]
    public void BundledOptDigits_HasTheDocumentedShape()
    {
        LabeledData train = Datasets.OptDigitsTrain();
        LabeledData test = Datasets.OptDigitsTest();
        Assert.Equal(3823, train.Count);
        Assert.Equal(1797, test.Count);
        Assert.Equal(64, train.FeatureCount);
        Assert.All(train.Features, v => Assert.InRange(v, 0, 1));
        Assert.Equal(Enumerable.Range(0, 10), train.Labels.Distinct().Order());
    }

    private static DataFormatException Read(string text) =>
        Assert.Throws<DataFormatException>(() => Datasets.ReadOptDigits(new MemoryStream(Encoding.ASCII.GetBytes(text)), "bad.tra"));

    private static string Row(int pixel = 3, int label = 7) => string.Join(",", Enumerable.Repeat(pixel, 64)) + "," + label;

    [Fact]
    public void WrongFieldCount_NamesFileAndLine()
    {
        var e = Read(Row() + "\n1,2,3\n");
        Assert.Equal("bad.tra, line 2: expected 65 comma-separated values (64 pixels and the class), found 3", e.Message);
    }

    [Fact]
    public void NonInteger_IsReported() => Assert.Contains("value 1 ('x') is not an integer", Read("x" + Row()[1..]).Message, StringComparison.Ordinal);

    [Fact]
    public void PixelOutOfRange_IsReported() => Assert.Contains("pixel 1 is 17", Read(Row(17)).Message, StringComparison.Ordinal);

    [Fact]
    public void LabelOutOfRange_IsReported() => Assert.Contains("the class is 12", Read(Row(1, 12)).Message, StringComparison.Ordinal);

    [Fact]
    public void EmptyFile_IsReported() => Assert.Equal("bad.tra: the file holds no rows", Read("").Message);

    [Fact]
    public void MissingFile_IsReported()
        => Assert.Contains("does not exist", Assert.Throws<DataFormatException>(() => Datasets.ReadOptDigits("/nonexistent/optdigits.tra")).Message, StringComparison.Ordinal);

    [Fact]
    public void TruncatedGzip_IsReported()
    {
        string path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".tra.gz");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.ASCII.GetBytes(string.Join("\n", Enumerable.Repeat(Row(), 200))));
        }

        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        try
        {
            var e = Assert.Throws<DataFormatException>(() => Datasets.ReadOptDigits(path));
            Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Split_IsSeededAndDisjoint()
    {
        LabeledData data = Datasets.OptDigitsTest();
        var (train, validation) = data.Split(0.1, seed: 5);
        var (train2, _) = data.Split(0.1, seed: 5);
        Assert.Equal(data.Count, train.Count + validation.Count);
        Assert.Equal(180, validation.Count);
        Assert.Equal(train.Features, train2.Features);
    }
}
