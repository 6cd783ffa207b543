using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Autodiff.Training;

/// <summary>What a checkpoint records besides the tensors.</summary>
/// <param name="Epoch">Epochs completed.</param>
/// <param name="Step">Optimizer steps taken.</param>
public sealed record CheckpointInfo(int Epoch, long Step);

/// <summary>A checkpoint that cannot be read: truncated, corrupt, another format, or another model's.</summary>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the exception with a message that names the file and the problem.</summary>
    public CheckpointException(string message) : base(message)
    {
    }
}

/// <summary>
/// Saves and loads the tensors of a model (any <see cref="ITensorSet"/>) with their names and shapes, plus optional
/// named sections (the trainer stores optimizer state, its own position and the best parameters there).
/// Format (little-endian): "ADCK", version, payload length, payload, SHA-256 of the payload. The payload is the
/// epoch, step, tensor count, then per tensor its name, rank, dimensions and values; version 2 appends the section
/// count and per section its name, length and bytes. Written to a temporary file that is then renamed over the
/// target, so a crash during a save leaves the previous checkpoint intact. Version 1 files still load.
/// </summary>
public static class Checkpoint
{
    /// <summary>The format version this library writes.</summary>
    public const int Version = 2;

    private static readonly byte[] Magic = "ADCK"u8.ToArray();

    /// <summary>Writes <paramref name="tensors"/>, <paramref name="info"/> and <paramref name="sections"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, ITensorSet tensors, CheckpointInfo info, IReadOnlyDictionary<string, byte[]>? sections = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(info.Epoch);
            writer.Write(info.Step);
            WriteTensors(writer, tensors.Tensors());
            writer.Write(sections?.Count ?? 0);
            if (sections is not null)
            {
                foreach (KeyValuePair<string, byte[]> section in sections)
                {
                    writer.Write(section.Key);
                    writer.Write(section.Value.Length);
                    writer.Write(section.Value);
                }
            }
        }

        byte[] bytes = payload.ToArray();
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new BinaryWriter(file))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write((long)bytes.Length);
            writer.Write(bytes);
            writer.Write(SHA256.HashData(bytes));
            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Reads <paramref name="path"/> into <paramref name="tensors"/> (same names and shapes required) and returns
    /// its epoch and step. Throws <see cref="CheckpointException"/> naming the problem; the tensors are only
    /// written once the whole file has been verified.
    /// </summary>
    public static CheckpointInfo Load(string path, ITensorSet tensors)
    {
        CheckpointFile file = Read(path);
        file.CopyTensorsTo(tensors);
        return file.Info;
    }

    /// <summary>Reads and verifies a whole checkpoint (checksum, format) without applying it to anything.</summary>
    public static CheckpointFile Read(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException($"{path}: no such checkpoint.");
        }

        if (file.Length < 16 || !file.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new CheckpointException($"{path}: not an Autodiff checkpoint (no ADCK header).");
        }

        int version = BitConverter.ToInt32(file, 4);
        if (version is < 1 or > Version)
        {
            throw new CheckpointException($"{path}: checkpoint format version {version}; this library reads versions 1 to {Version}.");
        }

        long length = BitConverter.ToInt64(file, 8);
        if (length < 0 || 16 + length + 32 > file.Length)
        {
            throw new CheckpointException($"{path}: truncated ({file.Length} bytes; the header announces {16 + length + 32}).");
        }

        ReadOnlySpan<byte> payload = file.AsSpan(16, (int)length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(16 + (int)length, 32)))
        {
            throw new CheckpointException($"{path}: checksum mismatch; the file is corrupt.");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(file, 16, (int)length), Encoding.UTF8);
            var info = new CheckpointInfo(reader.ReadInt32(), reader.ReadInt64());
            List<(string Name, int[] Shape, float[] Values)> tensors = ReadTensors(reader);
            var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            if (version >= 2)
            {
                int count = reader.ReadInt32();
                for (int s = 0; s < count; s++)
                {
                    string name = reader.ReadString();
                    int size = reader.ReadInt32();
                    sections[name] = reader.ReadBytes(size);
                }
            }

            return new CheckpointFile(path, info, tensors, sections);
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointException($"{path}: the payload ends early although its checksum matches; it was not written by this library.");
        }
    }

    internal static void WriteTensors(BinaryWriter writer, List<NamedTensor> list)
    {
        writer.Write(list.Count);
        foreach (NamedTensor tensor in list)
        {
            writer.Write(tensor.Name);
            writer.Write(tensor.Value.Rank);
            foreach (int d in tensor.Value.Shape)
            {
                writer.Write(d);
            }

            foreach (float v in tensor.Value.Span)
            {
                writer.Write(v);
            }
        }
    }

    internal static List<(string Name, int[] Shape, float[] Values)> ReadTensors(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var list = new List<(string, int[], float[])>(Math.Max(0, Math.Min(count, 1 << 16)));
        for (int t = 0; t < count; t++)
        {
            string name = reader.ReadString();
            int rank = reader.ReadInt32();
            if (rank is < 0 or > 4)
            {
                throw new EndOfStreamException();
            }

            var shape = new int[rank];
            long size = 1;
            for (int d = 0; d < rank; d++)
            {
                shape[d] = reader.ReadInt32();
                size *= shape[d];
            }

            if (size < 0 || size * 4 > reader.BaseStream.Length - reader.BaseStream.Position)
            {
                throw new EndOfStreamException();
            }

            var values = new float[size];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = reader.ReadSingle();
            }

            list.Add((name, shape, values));
        }

        return list;
    }
}

/// <summary>A verified checkpoint in memory: its counters, tensors and sections.</summary>
public sealed class CheckpointFile
{
    private readonly List<(string Name, int[] Shape, float[] Values)> _tensors;

    /// <summary>The stored tensors by position (name, shape, values).</summary>
    internal List<(string Name, int[] Shape, float[] Values)> StoredTensors => _tensors;

    internal CheckpointFile(string path, CheckpointInfo info, List<(string, int[], float[])> tensors, Dictionary<string, byte[]> sections)
    {
        Path = path;
        Info = info;
        _tensors = tensors;
        Sections = sections;
    }

    /// <summary>Where it was read from (for messages).</summary>
    public string Path { get; }

    /// <summary>Epoch and step.</summary>
    public CheckpointInfo Info { get; }

    /// <summary>Named byte sections (empty for version 1 files).</summary>
    public IReadOnlyDictionary<string, byte[]> Sections { get; }

    /// <summary>Throws <see cref="CheckpointException"/> unless the tensors match <paramref name="tensors"/> by name and shape.</summary>
    public void Check(ITensorSet tensors) => Check(tensors.Tensors(), _tensors, "the model", Path);

    /// <summary>Copies the tensors into <paramref name="tensors"/> after checking names and shapes.</summary>
    public void CopyTensorsTo(ITensorSet tensors)
    {
        List<NamedTensor> targets = tensors.Tensors();
        Check(targets, _tensors, "the model", Path);
        for (int t = 0; t < targets.Count; t++)
        {
            _tensors[t].Values.CopyTo(targets[t].Value.Span);
        }
    }

    internal static void Check(List<NamedTensor> targets, List<(string Name, int[] Shape, float[] Values)> stored, string what, string path)
    {
        if (stored.Count != targets.Count)
        {
            throw new CheckpointException($"{path}: holds {stored.Count} tensors but {what} has {targets.Count}.");
        }

        for (int t = 0; t < stored.Count; t++)
        {
            Tensor target = targets[t].Value;
            if (stored[t].Name != targets[t].Name || !target.Shape.SequenceEqual(stored[t].Shape))
            {
                throw new CheckpointException($"{path}: tensor {t} is '{stored[t].Name}' {Tensor.Format(stored[t].Shape)} in the checkpoint but '{targets[t].Name}' {target.ShapeText} in {what}.");
            }
        }
    }
}
