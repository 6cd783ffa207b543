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
/// Saves and loads the tensors of a model (any <see cref="ITensorSet"/>) with their names and shapes.
/// Format (little-endian): "ADCK", version, payload length, payload (epoch, step, count, then per tensor its
/// name, rank, dimensions and values), SHA-256 of the payload. Written to a temporary file that is then renamed
/// over the target, so a crash during a save leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    /// <summary>The format version this library writes.</summary>
    public const int Version = 1;

    private static readonly byte[] Magic = "ADCK"u8.ToArray();

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="info"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, ITensorSet tensors, CheckpointInfo info)
    {
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(info.Epoch);
            writer.Write(info.Step);
            List<NamedTensor> list = tensors.Tensors();
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

        byte[] bytes = payload.ToArray();
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
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new CheckpointException($"{path}: no such checkpoint.");
        }

        if (file.Length < 16 || !file.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new CheckpointException($"{path}: not an Autodiff checkpoint (no ADCK header).");
        }

        int version = BitConverter.ToInt32(file, 4);
        if (version != Version)
        {
            throw new CheckpointException($"{path}: checkpoint format version {version}; this library reads version {Version}.");
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

        List<NamedTensor> targets = tensors.Tensors();
        var values = new List<float[]>();
        using var reader = new BinaryReader(new MemoryStream(file, 16, (int)length), Encoding.UTF8);
        var info = new CheckpointInfo(reader.ReadInt32(), reader.ReadInt64());
        int count = reader.ReadInt32();
        if (count != targets.Count)
        {
            throw new CheckpointException($"{path}: holds {count} tensors but the model has {targets.Count}.");
        }

        for (int t = 0; t < count; t++)
        {
            string name = reader.ReadString();
            int rank = reader.ReadInt32();
            var shape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                shape[d] = reader.ReadInt32();
            }

            Tensor target = targets[t].Value;
            if (name != targets[t].Name || !target.Shape.SequenceEqual(shape))
            {
                throw new CheckpointException($"{path}: tensor {t} is '{name}' {Tensor.Format(shape)} in the checkpoint but '{targets[t].Name}' {target.ShapeText} in the model.");
            }

            var data = new float[target.Length];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = reader.ReadSingle();
            }

            values.Add(data);
        }

        for (int t = 0; t < count; t++)
        {
            values[t].CopyTo(targets[t].Value.Span);
        }

        return info;
    }
}
