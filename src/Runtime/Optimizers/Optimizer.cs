using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;

using Autodiff.Kernels;

namespace Autodiff.Optimizers;

/// <summary>
/// Base of the optimizers: one fused pass per parameter vector that reads the gradient and the state and
/// writes the parameters and the state together (each optimizer's rule run by <see cref="UpdateLoop"/> over
/// <c>Vector512</c>, <see cref="Vector{T}"/> and a scalar tail), for
/// <c>float</c> and <c>double</c>. State is kept per <em>slot</em> (one per parameter tensor of a model; slot 0
/// for a single vector) and allocated on the first step. Optional gradient clipping by value and by global
/// norm runs before the update (on a copy: the caller's gradient is not changed).
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<(int Slot, Type Type), Array[]> _state = new();
    private readonly Dictionary<int, long> _steps = new();
    private Array? _clipped;

    private double? _globalNorm;

    /// <summary>Sets the learning rate (must be positive).</summary>
    protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>Step size; a schedule may change it between steps.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
    }

    private double _learningRate;

    /// <summary>Clip each gradient component to [-ClipValue, ClipValue] before the update (null: off).</summary>
    public double? ClipValue { get; init; }

    /// <summary>Scale the gradient so that its L2 norm is at most ClipNorm before the update (null: off).</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Updates taken so far (the most of any slot).</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// Starts one step over several tensors (a model): with <see cref="ClipNorm"/>, each <see cref="Step{T}"/> until
    /// <see cref="EndStep"/> scales by min(1, ClipNorm / <paramref name="globalNorm"/>), the norm of the whole
    /// gradient, instead of clipping each tensor by its own norm. Generated model steps call it.
    /// </summary>
    public void BeginStep(double globalNorm) => _globalNorm = globalNorm;

    /// <summary>Ends the step started by <see cref="BeginStep"/>.</summary>
    public void EndStep() => _globalNorm = null;

    /// <summary>Number of state vectors per parameter vector (0 for SGD, 1 for momentum, 2 for Adam).</summary>
    protected abstract int StateCount { get; }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradient"/>; <paramref name="slot"/> picks the state.</summary>
    public void Step<T>(Span<T> parameters, ReadOnlySpan<T> gradient, int slot = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (parameters.Length != gradient.Length)
        {
            throw new ArgumentException($"{parameters.Length} parameters but {gradient.Length} gradient values.", nameof(gradient));
        }

        Array[] state = State<T>(slot, parameters.Length);
        if (ClipValue is not null || ClipNorm is not null)
        {
            gradient = Clip(gradient);
        }

        // Each slot counts its own steps (Adam's bias correction depends on it).
        long step = _steps.TryGetValue(slot, out long previous) ? previous + 1 : 1;
        _steps[slot] = step;
        StepCount = Math.Max(StepCount, step);
        int parts = Math.Min(Tensor.Threads, parameters.Length / ParallelLength);
        if (parts <= 1)
        {
            Update(parameters, gradient, state, 0, step);
            return;
        }

        // Large vectors in equal parts over the kernel threads: each part's update is the same arithmetic, so the
        // result does not depend on the split. The parts match the weight-gradient product's split of its rows,
        // so each thread updates the half of the gradient it has just written (in its own core's cache).
        unsafe
        {
            fixed (T* p = parameters, g = gradient)
            {
                var job = (_job as UpdateJob<T>) ?? (UpdateJob<T>)(_job = new UpdateJob<T>());
                job.Set(this, p, g, parameters.Length, state, step, parts);
                try
                {
                    WorkerPool.Run(job, parts, parts);
                }
                finally
                {
                    job.Clear();
                }
            }
        }
    }

    /// <summary>Vectors with fewer elements than this per thread are updated on one thread.</summary>
    private const int ParallelLength = 32_768;

    private object? _job;

    private sealed unsafe class UpdateJob<T> : IParallelJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private Optimizer? _owner;
        private T* _parameters, _gradient;
        private int _length, _parts;
        private Array[]? _state;
        private long _step;

        public void Set(Optimizer owner, T* parameters, T* gradient, int length, Array[] state, long step, int parts)
        {
            _owner = owner;
            _parameters = parameters;
            _gradient = gradient;
            (_length, _state, _step, _parts) = (length, state, step, parts);
        }

        public void Clear()
        {
            _owner = null;
            _parameters = null;
            _gradient = null;
            _state = null;
        }

        public void Run(int index)
        {
            // Part boundaries on multiples of 64 elements (whole cache lines and vectors).
            int chunk = (_length / _parts + 63) & ~63;
            int start = Math.Min(index * chunk, _length), end = index == _parts - 1 ? _length : Math.Min(start + chunk, _length);
            _owner!.Update(new Span<T>(_parameters + start, end - start), new ReadOnlySpan<T>(_gradient + start, end - start), _state!, start, _step);
        }
    }

    /// <summary>
    /// The fused update of <paramref name="parameters"/> (a whole vector or a part of it) from
    /// <paramref name="gradient"/>; the state vectors span the whole vector, and this part starts at
    /// <paramref name="offset"/> in them. <paramref name="step"/> is 1 on the first call. Parts may run on
    /// different threads at once: an update reads and writes only its own elements.
    /// </summary>
    protected abstract void Update<T>(Span<T> parameters, ReadOnlySpan<T> gradient, Array[] state, int offset, long step)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The state vectors of a slot (for tests and checkpoints).</summary>
    public T[][] GetState<T>(int slot = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        => _state.TryGetValue((slot, typeof(T)), out Array[]? state) ? Array.ConvertAll(state, s => (T[])s) : Array.Empty<T[]>();

    private Array[] State<T>(int slot, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!_state.TryGetValue((slot, typeof(T)), out Array[]? state))
        {
            state = new Array[StateCount];
            for (int i = 0; i < state.Length; i++)
            {
                state[i] = new T[length];
            }

            _state[(slot, typeof(T))] = state;
        }
        else if (state.Length > 0 && state[0].Length != length)
        {
            throw new ArgumentException($"Slot {slot} holds state for {state[0].Length} parameters, not {length}; use one slot per parameter tensor.");
        }

        return state;
    }

    private ReadOnlySpan<T> Clip<T>(ReadOnlySpan<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_clipped is not T[] buffer || buffer.Length < gradient.Length)
        {
            buffer = new T[gradient.Length];
            _clipped = buffer;
        }

        Span<T> clipped = buffer.AsSpan(0, gradient.Length);
        gradient.CopyTo(clipped);
        if (ClipValue is { } value)
        {
            T limit = T.CreateChecked(value);
            for (int i = 0; i < clipped.Length; i++)
            {
                clipped[i] = T.Clamp(clipped[i], -limit, limit);
            }
        }

        if (ClipNorm is { } maxNorm)
        {
            double norm = 0;
            foreach (T g in clipped)
            {
                norm += double.CreateChecked(g * g);
            }

            norm = _globalNorm ?? Math.Sqrt(norm);
            if (norm > maxNorm)
            {
                T scale = T.CreateChecked(maxNorm / norm);
                for (int i = 0; i < clipped.Length; i++)
                {
                    clipped[i] *= scale;
                }
            }
        }

        return clipped;
    }

    /// <summary>
    /// Writes what a resumed run needs to continue exactly: the optimizer's type, learning rate, step counters and
    /// every slot's state vectors (checkpoints call it).
    /// </summary>
    public void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(GetType().FullName ?? GetType().Name);
        writer.Write(LearningRate);
        writer.Write(StepCount);
        writer.Write(_steps.Count);
        foreach (KeyValuePair<int, long> step in _steps)
        {
            writer.Write(step.Key);
            writer.Write(step.Value);
        }

        writer.Write(_state.Count);
        foreach (KeyValuePair<(int Slot, Type Type), Array[]> entry in _state)
        {
            writer.Write(entry.Key.Slot);
            writer.Write(entry.Key.Type == typeof(double));
            writer.Write(entry.Value.Length);
            foreach (Array vector in entry.Value)
            {
                writer.Write(vector.Length);
                if (vector is double[] doubles)
                {
                    writer.Write(MemoryMarshal.AsBytes(doubles.AsSpan()));
                }
                else
                {
                    writer.Write(MemoryMarshal.AsBytes(((float[])vector).AsSpan()));
                }
            }
        }
    }

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote. Throws <see cref="InvalidDataException"/> when it was
    /// written by another kind of optimizer or is malformed; nothing changes then.
    /// </summary>
    public void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        try
        {
            string type = reader.ReadString();
            string expected = GetType().FullName ?? GetType().Name;
            if (type != expected)
            {
                throw new InvalidDataException($"the optimizer state was saved by {type}, not {expected}");
            }

            double learningRate = reader.ReadDouble();
            long stepCount = reader.ReadInt64();
            var steps = new Dictionary<int, long>();
            for (int i = reader.ReadInt32(); i > 0; i--)
            {
                steps[reader.ReadInt32()] = reader.ReadInt64();
            }

            var state = new Dictionary<(int Slot, Type Type), Array[]>();
            for (int i = reader.ReadInt32(); i > 0; i--)
            {
                int slot = reader.ReadInt32();
                bool isDouble = reader.ReadBoolean();
                var vectors = new Array[reader.ReadInt32()];
                for (int v = 0; v < vectors.Length; v++)
                {
                    int length = reader.ReadInt32();
                    byte[] bytes = reader.ReadBytes(length * (isDouble ? 8 : 4));
                    if (length < 0 || bytes.Length != length * (isDouble ? 8 : 4))
                    {
                        throw new EndOfStreamException();
                    }

                    vectors[v] = isDouble
                        ? MemoryMarshal.Cast<byte, double>(bytes).ToArray()
                        : MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                }

                if (vectors.Length != StateCount)
                {
                    throw new InvalidDataException($"slot {slot} holds {vectors.Length} state vectors; {expected} keeps {StateCount}");
                }

                state[(slot, isDouble ? typeof(double) : typeof(float))] = vectors;
            }

            LearningRate = learningRate;
            StepCount = stepCount;
            _steps.Clear();
            foreach (KeyValuePair<int, long> step in steps)
            {
                _steps[step.Key] = step.Value;
            }

            _state.Clear();
            foreach (KeyValuePair<(int Slot, Type Type), Array[]> entry in state)
            {
                _state[entry.Key] = entry.Value;
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the optimizer state ends early");
        }
    }

    /// <summary>The gradient norm ‖g‖₂ (for logging and global-norm clipping across tensors).</summary>
    public static double Norm<T>(ReadOnlySpan<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T g in gradient)
        {
            sum += double.CreateChecked(g * g);
        }

        return Math.Sqrt(sum);
    }
}
