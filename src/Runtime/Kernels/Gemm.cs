using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autodiff.Kernels;

/// <summary>
/// Single-precision matrix product <c>C (+)= op(A) · op(B)</c>, where op transposes or not: packed panels and a
/// register-blocked FMA micro-kernel (8x32 with <see cref="Vector512{T}"/>, 6x16 and 4x16 with <see cref="Vector256{T}"/>,
/// scalar otherwise), split over rows of C across threads for large products (over its columns when it has few rows).
/// </summary>
/// <remarks>
/// Blocking (BLIS style): a KC x NC panel of B is packed into NR-wide column strips and the micro-kernel keeps an
/// MR x NR tile of C in registers over the whole KC loop. The SIMD kernels broadcast A straight from its rows; Aᵀ's
/// columns are read in place too (AVX-512) or packed a tile row at a time (AVX2); the scalar fallback packs A into
/// MR-high strips.
/// Each element of C is summed in the same order whatever the thread count, so results are deterministic.
/// <para>
/// One file of over 600 lines on purpose: the blocking constants, the packing routines and the three micro-kernels
/// are tuned together (a constant's comment cites the kernel it was measured with), and the JIT must see the kernels
/// and their callers as one unit of <c>[SkipLocalsInit]</c>, <c>AggressiveInlining</c> code. Split, each part would
/// need the others open to be read.
/// </para>
/// </remarks>
[SkipLocalsInit]
internal static unsafe class Gemm
{
    private const int KC = 256;
    private const int MC = 96;
    private const int NC = 1024;

    /// <summary>Longest k block on AVX2 (its tiles' C loads and stores are paid per block; 392 measured 1-2 points of peak above 196 on Zen 3).</summary>
    private const int KCNarrow = 400;

    /// <summary>
    /// Most bytes of B's packed panel on AVX2, where each tile row of A runs across the whole panel: about half of a
    /// 512 KB L2, which also holds A and the rows of C being written. At 400 KB the input gradient's panel (all of Wᵀ)
    /// was evicted by its 400 KB of C and re-read from L3: 83-85% of peak, 86% with two 200 KB panels (Zen 3).
    /// </summary>
    private const int PanelBytesNarrow = 200 << 10;

    /// <summary>Bytes spanned by the rows of Aᵀ a tile reads, above which AVX2 packs its tile rows (see the narrow loop).</summary>
    private const long PackedColumnsSpan = 128 << 10;

    /// <summary>Multiply-adds per thread at least: products with fewer than twice this run on one thread.</summary>
    private const long ParallelThreshold = 1L << 19;

    [ThreadStatic] private static float* _packA;
    [ThreadStatic] private static float* _packB;
    [ThreadStatic] private static float* _edge;
    [ThreadStatic] private static Job? _job;

    private static int MR => Vector512.IsHardwareAccelerated ? 8 : 6;

    private static int NR => Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>
    /// <c>C = op(A)·op(B)</c>, or <c>C += op(A)·op(B)</c> with <paramref name="accumulate"/>. op(A) is m x k, op(B) is
    /// k x n, C is m x n; lda, ldb and ldc are the row strides of the stored matrices.
    /// </summary>
    public static void Multiply(
        ReadOnlySpan<float> a, int lda, bool transposeA,
        ReadOnlySpan<float> b, int ldb, bool transposeB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate, int threads)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                {
                    c.Slice(i * ldc, n).Clear();
                }
            }

            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = _job ??= new Job();
            job.Set(pa, lda, transposeA, pb, ldb, transposeB, pc, ldc, m, n, k, accumulate);
            long work = (long)m * n * k;
            // Few rows (the MLP's batch): split the columns, so each thread packs only its own strips of B; splitting
            // the rows made every thread pack all of B (the forward product's two-thread speed-up was 1.4-1.5).
            bool byColumns = m <= 2 * MC && n >= 2 * NR;
            int units = byColumns ? (n + NR - 1) / NR : (m + MR - 1) / MR;
            // A part gets at least ParallelThreshold multiply-adds (a few µs; waking and joining a worker costs about one),
            // so a small product on many threads uses a few of them, not all.
            int parts = (int)Math.Clamp(work / ParallelThreshold, 1, Math.Min(Math.Max(threads, 1), units));
            job.Parts = parts;
            job.ByColumns = byColumns;
            if (parts <= 1)
            {
                job.Run(0);
            }
            else
            {
                WorkerPool.Run(job, parts, parts);
            }

            job.Clear();
        }
    }

    private sealed class Job : IParallelJob
    {
        private float* _a, _b, _c;
        private int _lda, _ldb, _ldc, _m, _n, _k;
        private bool _ta, _tb, _accumulate;

        public int Parts { get; set; }

        /// <summary>Parts are NR-aligned ranges of C's columns (else MR-aligned ranges of its rows).</summary>
        public bool ByColumns { get; set; }

        public void Set(float* a, int lda, bool ta, float* b, int ldb, bool tb, float* c, int ldc, int m, int n, int k, bool accumulate)
        {
            _a = a; _b = b; _c = c;
            (_lda, _ta, _ldb, _tb, _ldc, _m, _n, _k, _accumulate) = (lda, ta, ldb, tb, ldc, m, n, k, accumulate);
        }

        public void Clear()
        {
            _a = null;
            _b = null;
            _c = null;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int index)
        {
            if (ByColumns)
            {
                // Columns of C split in NR-aligned parts: column j of op(B) starts at b + j (B) or at row j of b (Bᵀ).
                int nr = NR;
                int columnStrips = (_n + nr - 1) / nr;
                int j0 = (int)((long)columnStrips * index / Parts) * nr;
                int j1 = Math.Min((int)((long)columnStrips * (index + 1) / Parts) * nr, _n);
                if (j0 < j1)
                {
                    float* b = _tb ? _b + (long)j0 * _ldb : _b + j0;
                    MultiplyRows(_a, _lda, _ta, b, _ldb, _tb, _c + j0, _ldc, 0, _m, j1 - j0, _k, _accumulate);
                }

                return;
            }

            // Rows of C split in MR-aligned parts.
            int mr = MR;
            int strips = (_m + mr - 1) / mr;
            int first = (int)((long)strips * index / Parts) * mr;
            int last = Math.Min((int)((long)strips * (index + 1) / Parts) * mr, _m);
            if (first < last)
            {
                MultiplyRows(_a, _lda, _ta, _b, _ldb, _tb, _c, _ldc, first, last, _n, _k, _accumulate);
            }
        }
    }

    private static void EnsureBuffers()
    {
        if (_packA == null)
        {
            _packA = (float*)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(float)), 64);
            _packB = (float*)NativeMemory.AlignedAlloc((nuint)(KC * NC * sizeof(float)), 64);
            _edge = (float*)NativeMemory.AlignedAlloc((nuint)(8 * 32 * sizeof(float)), 64);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyRows(float* a, int lda, bool ta, float* b, int ldb, bool tb, float* c, int ldc, int i0, int i1, int n, int k, bool accumulate)
    {
        EnsureBuffers();
        float* packA = _packA, packB = _packB, edge = _edge;
        int mr = MR, nr = NR;
        bool wide = Vector512.IsHardwareAccelerated;
        bool narrow = !wide && Vector256.IsHardwareAccelerated;
        // k in equal blocks of at most KC (784 = 4 x 196, not 3 x 256 + 16: a short last block pays the C tile loads
        // and stores for few FMAs); AVX2 takes longer blocks (784 = 2 x 392), its panel of B narrowed to stay in L2.
        int kcMax = narrow ? KCNarrow : KC;
        int blocks = (k + kcMax - 1) / kcMax;
        int step = (k + blocks - 1) / blocks;
        int ncMax = narrow ? Math.Clamp(PanelBytesNarrow / (step * sizeof(float)) / nr * nr, nr, NC) : NC;
        for (int jc = 0; jc < n; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += step)
            {
                int kc = Math.Min(step, k - pc);
                bool add = accumulate || pc > 0;
                if (narrow)
                {
                    // AVX2: the whole panel of B packed (in L2), then each tile row of A (in L1 from its first strip)
                    // runs across all of it. Strip by strip with the tile rows inner, as AVX-512 does below, measured
                    // 2-3 points of peak less on Zen 3 (not profiled; a likely cause: its 32 KB L1 holds a 25 KB strip
                    // of B, but not that and the rows of A streaming past it).
                    PackB(b, ldb, tb, pc, jc, kc, nc, nr, packB);
                    for (int ir = i0, rows; ir < i1; ir += rows)
                    {
                        rows = TileRowsNarrow(i1 - ir);

                        // A's rows are read in place, and so are Aᵀ's columns (the values of a k step contiguous) unless
                        // its kc rows span more than 128 KB (32 pages, half the L1 TLB's 64 entries): then the tile row
                        // is first packed into a contiguous strip that every strip of the panel reads. The weight
                        // gradient's rows are 3 KB apart (784 columns, about 100 pages): 85 -> 87% of peak packed (scratch
                        // A/B, Zen 3). Below the limit packing only costs: the output layer's weight gradient (128 rows
                        // of 512 B, one strip of B) took 10.3 µs packed, 6.0 in place.
                        float* first = ta ? a + (long)pc * lda + ir : a + (long)ir * lda + pc;
                        long rowStride = ta ? 1 : lda, stepStride = ta ? lda : 1;
                        if (ta && (long)kc * lda * sizeof(float) > PackedColumnsSpan)
                        {
                            PackColumnsNarrow(a, lda, ir, pc, rows, kc, i1, packA);
                            first = packA;
                            rowStride = 1;
                            stepStride = rows;
                        }

                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            TileNarrow(first, rowStride, stepStride, kc, rows, packB + jr * kc, c + (long)ir * ldc + jc + jr, ldc, Math.Min(nr, nc - jr), add, edge);
                        }
                    }

                    continue;
                }

                if (wide && i1 - i0 <= 2 * MC)
                {
                    // Few rows (the MLP's batch of 128, or a thread's share of it): each strip of B is packed right
                    // before the tiles that use it, so it is written to and read back from L1, instead of packing
                    // the whole panel (400 KB for W of 784x128) into L2 first. Packing was 9-15 µs of a 135 µs
                    // product that way; interleaved it costs about nothing measurable (see bench/README.md).
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        PackB(b, ldb, tb, pc, jc + jr, kc, cols, nr, packB);
                        for (int ir = i0; ir < i1; ir += mr)
                        {
                            TileWide(a, lda, ta, ir, pc, kc, Math.Min(mr, i1 - ir), packB, c + (long)ir * ldc + jc + jr, ldc, cols, add, packA, edge);
                        }
                    }

                    continue;
                }

                PackB(b, ldb, tb, pc, jc, kc, nc, nr, packB);
                for (int ic = i0; ic < i1; ic += MC)
                {
                    int mc = Math.Min(MC, i1 - ic);
                    if (wide)
                    {
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            for (int ir = 0; ir < mc; ir += mr)
                            {
                                TileWide(a, lda, ta, ic + ir, pc, kc, Math.Min(mr, mc - ir), packB + jr * kc, c + (long)(ic + ir) * ldc + jc + jr, ldc, cols, add, packA, edge);
                            }
                        }

                        continue;
                    }

                    // No SIMD: the scalar fallback on packed A.
                    PackA(a, lda, ta, ic, pc, mc, kc, mr, packA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            KernelScalar(kc, packA + ir * kc, packB + jr * kc, c + (long)(ic + ir) * ldc + jc + jr, ldc, Math.Min(mr, mc - ir), cols, add, mr, nr);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rows of the next AVX2 tile given the rows left: 6, or 4 where that wastes less (the MLP's 128 rows as
    /// 20 x 6 + 2 x 4, not 21 x 6 and a 6-row tile holding 2).
    /// </summary>
    private static int TileRowsNarrow(int left) => left <= 4 || left == 8 ? Math.Min(4, left) : Math.Min(6, left);

    /// <summary>
    /// One AVX2 tile of C from a packed 16-wide strip of B; A's value for tile row r at k step p is
    /// <c>first[r * rowStride + p * stepStride]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileNarrow(float* first, long rowStride, long stepStride, int kc, int rows, float* strip, float* tile, int ldc, int cols, bool add, float* edge)
    {
        if (rows <= 4)
        {
            Kernel4x16(kc, first, rowStride, stepStride, rows, strip, tile, ldc, cols, add, edge);
        }
        else
        {
            Kernel6x16(kc, first, rowStride, stepStride, rows, strip, tile, ldc, cols, add, edge);
        }
    }

    /// <summary>
    /// Columns row..row+rows of the stored matrix (Aᵀ's rows) over k steps p0..p0+kc into <c>dst[p * rows + r]</c>:
    /// one 8-wide copy per k step where 8 columns lie below <paramref name="end"/> (each overwrites the next step's
    /// start, rewritten right after), otherwise <see cref="PackA"/>'s element-by-element copy into one strip of
    /// height <paramref name="rows"/> (the same layout), so nothing is read past A.
    /// </summary>
    private static void PackColumnsNarrow(float* a, int lda, int row, int p0, int rows, int kc, int end, float* dst)
    {
        if (row + 8 > end)
        {
            PackA(a, lda, true, row, p0, rows, kc, rows, dst);
            return;
        }

        float* s = a + (long)p0 * lda + row;
        for (int p = 0; p < kc; p++, s += lda, dst += rows)
        {
            Vector256.Store(Vector256.Load(s), dst);
        }
    }

    /// <summary>
    /// One 8x32 (or 8x16) tile of C on AVX-512 from a packed strip of B. A is not packed: the kernel broadcasts straight from
    /// its rows (A) or columns (Aᵀ, whose 8 values per k step are contiguous); a partial strip of Aᵀ is packed on its
    /// own so no read runs past A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileWide(float* a, int lda, bool ta, int row, int pc, int kc, int rows, float* strip, float* tile, int ldc, int cols, bool add, float* packA, float* edge)
    {
        // A strip of at most 16 columns (the output layer's n = 10, the last 16 of n = 784) runs the 8x16 tile, one
        // vector per row and half the FMAs of a half-empty 8x32 tile.
        if (!ta)
        {
            float* rowsOfA = a + (long)row * lda + pc;
            if (cols <= 16)
            {
                Kernel8x16(kc, rowsOfA, lda, 1, rows, strip, tile, ldc, cols, add, edge);
            }
            else
            {
                Kernel8x32Rows(kc, rowsOfA, lda, rows, strip, tile, ldc, cols, add, edge);
            }

            return;
        }

        // Aᵀ: 8 values per k step are contiguous; a partial strip is packed on its own so no read runs past A.
        float* columnsOfA = a + (long)pc * lda + row;
        int stride = lda;
        if (rows < 8)
        {
            PackA(a, lda, true, row, pc, rows, kc, 8, packA);
            columnsOfA = packA;
            stride = 8;
        }

        if (cols <= 16)
        {
            Kernel8x16(kc, columnsOfA, 1, stride, rows, strip, tile, ldc, cols, add, edge);
        }
        else
        {
            Kernel8x32(kc, columnsOfA, stride, strip, tile, ldc, rows, cols, add, edge);
        }
    }

    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] into MR-high strips, column by column, zero-padding the last strip.</summary>
    private static void PackA(float* a, int lda, bool transposed, int i0, int p0, int mc, int kc, int mr, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + p * mr;
                if (transposed)
                {
                    float* s = a + (long)(p0 + p) * lda + i0 + ir;
                    for (int r = 0; r < rows; r++)
                    {
                        d[r] = s[r];
                    }
                }
                else
                {
                    float* s = a + (long)(i0 + ir) * lda + p0 + p;
                    for (int r = 0; r < rows; r++)
                    {
                        d[r] = s[(long)r * lda];
                    }
                }

                for (int r = rows; r < mr; r++)
                {
                    d[r] = 0f;
                }
            }

            dst += mr * kc;
        }
    }

    /// <summary>Packs op(B)[p0..p0+kc, j0..j0+nc] into NR-wide strips, row by row, zero-padding the last strip.</summary>
    private static void PackB(float* b, int ldb, bool transposed, int p0, int j0, int kc, int nc, int nr, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            if (transposed)
            {
                // Bᵀ: row j of b holds column j of the panel. Full 8x8 blocks go through an AVX transpose in registers
                // (8 contiguous loads, 8 contiguous stores); the ragged edges element by element.
                // With AVX-512, 16x16 blocks first: 64 shuffles per 256 values against 24 per 64 (the shuffles, on one
                // port, bound this packing, which is most of what the input-gradient product spends outside its FMAs).
                int fullCols = Avx.IsSupported ? cols & ~7 : 0, fullRows = Avx.IsSupported ? kc & ~7 : 0;
                int wideCols = Avx512F.IsSupported ? cols & ~15 : 0, wideRows = Avx512F.IsSupported ? kc & ~15 : 0;
                for (int j = 0; j < wideCols; j += 16)
                {
                    float* s = b + (long)(j0 + jr + j) * ldb + p0;
                    for (int p = 0; p < wideRows; p += 16)
                    {
                        Transpose16x16(s + p, ldb, dst + p * nr + j, nr);
                    }
                }

                for (int j = 0; j < fullCols; j += 8)
                {
                    float* s = b + (long)(j0 + jr + j) * ldb + p0;
                    for (int p = j < wideCols ? wideRows : 0; p < fullRows; p += 8)
                    {
                        Transpose8x8(s + p, ldb, dst + p * nr + j, nr);
                    }
                }

                for (int j = 0; j < cols; j++)
                {
                    float* s = b + (long)(j0 + jr + j) * ldb + p0;
                    for (int p = j < fullCols ? fullRows : 0; p < kc; p++)
                    {
                        dst[p * nr + j] = s[p];
                    }
                }

                for (int p = 0; p < kc; p++)
                {
                    for (int j = cols; j < nr; j++)
                    {
                        dst[p * nr + j] = 0f;
                    }
                }
            }
            else if (cols == nr && nr == (Vector512.IsHardwareAccelerated ? 32 : 16) && Vector256.IsHardwareAccelerated)
            {
                // A full strip row is two vectors (Vector512 with AVX-512, Vector256 on AVX2): copied directly.
                // Span.CopyTo per row cost about as much as the copy: the forward product's packing of W took 13 µs
                // of its 140 with AVX-512, and 3-5 points of its peak on AVX2 (Zen 3: 83-84% -> 87-88%).
                float* s = b + (long)p0 * ldb + j0 + jr;
                for (int p = 0; p < kc; p++, s += ldb)
                {
                    float* d = dst + p * nr;
                    if (Vector512.IsHardwareAccelerated)
                    {
                        Vector512.Store(Vector512.Load(s), d);
                        Vector512.Store(Vector512.Load(s + 16), d + 16);
                    }
                    else
                    {
                        Vector256.Store(Vector256.Load(s), d);
                        Vector256.Store(Vector256.Load(s + 8), d + 8);
                    }
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = b + (long)(p0 + p) * ldb + j0 + jr;
                    float* d = dst + p * nr;
                    new ReadOnlySpan<float>(s, cols).CopyTo(new Span<float>(d, cols));
                    for (int j = cols; j < nr; j++)
                    {
                        d[j] = 0f;
                    }
                }
            }

            dst += nr * kc;
        }
    }

    /// <summary>dst[i * dstStride + j] = src[j * srcStride + i] for an 8x8 block (unpack, shuffle, lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * srcStride), r3 = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * srcStride), r5 = Avx.LoadVector256(src + 5 * srcStride);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * srcStride), r7 = Avx.LoadVector256(src + 7 * srcStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>
    /// dst[i * dstStride + j] = src[j * srcStride + i] for a 16x16 block: unpack and shuffle within 128-bit lanes (each lane
    /// then holds a 4x4 block transposed), then a 4x4 transpose of the lanes themselves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16x16(float* src, int srcStride, float* dst, int dstStride)
    {
        // u{g}{q}, lane L: column 4L + q of rows 4g .. 4g + 3
        (Vector512<float> u00, Vector512<float> u01, Vector512<float> u02, Vector512<float> u03) = Quads(src, srcStride);
        (Vector512<float> u10, Vector512<float> u11, Vector512<float> u12, Vector512<float> u13) = Quads(src + 4 * srcStride, srcStride);
        (Vector512<float> u20, Vector512<float> u21, Vector512<float> u22, Vector512<float> u23) = Quads(src + 8 * srcStride, srcStride);
        (Vector512<float> u30, Vector512<float> u31, Vector512<float> u32, Vector512<float> u33) = Quads(src + 12 * srcStride, srcStride);
        // output row 4L + q is lane L of u0q, u1q, u2q, u3q
        Lanes(u00, u10, u20, u30, dst, dstStride);
        Lanes(u01, u11, u21, u31, dst + dstStride, dstStride);
        Lanes(u02, u12, u22, u32, dst + 2 * dstStride, dstStride);
        Lanes(u03, u13, u23, u33, dst + 3 * dstStride, dstStride);
    }

    /// <summary>Four rows, each 128-bit lane transposed as a 4x4 block: result q, lane L, holds column 4L + q of the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Quads(float* src, int stride)
    {
        Vector512<float> ra = Vector512.Load(src), rb = Vector512.Load(src + stride);
        Vector512<float> rc = Vector512.Load(src + 2 * stride), rd = Vector512.Load(src + 3 * stride);
        Vector512<float> t0 = Avx512F.UnpackLow(ra, rb), t1 = Avx512F.UnpackHigh(ra, rb);
        Vector512<float> t2 = Avx512F.UnpackLow(rc, rd), t3 = Avx512F.UnpackHigh(rc, rd);
        return (Avx512F.Shuffle(t0, t2, 0x44), Avx512F.Shuffle(t0, t2, 0xEE), Avx512F.Shuffle(t1, t3, 0x44), Avx512F.Shuffle(t1, t3, 0xEE));
    }

    /// <summary>Stores lane L of (v0, v1, v2, v3) as row 4L (stride <paramref name="stride"/>): a 4x4 transpose of 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, float* dst, int stride)
    {
        Vector512<float> x0 = Avx512F.Shuffle4x128(v0, v1, 0x44), x1 = Avx512F.Shuffle4x128(v0, v1, 0xEE);
        Vector512<float> x2 = Avx512F.Shuffle4x128(v2, v3, 0x44), x3 = Avx512F.Shuffle4x128(v2, v3, 0xEE);
        Vector512.Store(Avx512F.Shuffle4x128(x0, x2, 0x88), dst);
        Vector512.Store(Avx512F.Shuffle4x128(x0, x2, 0xDD), dst + 4 * stride);
        Vector512.Store(Avx512F.Shuffle4x128(x1, x3, 0x88), dst + 8 * stride);
        Vector512.Store(Avx512F.Shuffle4x128(x1, x3, 0xDD), dst + 12 * stride);
    }

    private static void Kernel8x32(int kc, float* ap, int aStride, float* bp, float* c, int ldc, int rows, int cols, bool add, float* edge)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16);
            Vector512<float> x = Vector512.Create(ap[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(ap[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(ap[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(ap[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(ap[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(ap[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(ap[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(ap[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            ap += aStride;
            bp += 32;
        }

        StoreTile(c, ldc, rows, cols, add, edge, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
    }

    /// <summary>The 8x32 kernel reading A from its rows (stride <paramref name="lda"/>); rows past <paramref name="rows"/> repeat the last one and are dropped.</summary>
    private static void Kernel8x32Rows(int kc, float* a, int lda, int rows, float* bp, float* c, int ldc, int cols, bool add, float* edge)
    {
        float* a0 = a;
        float* a1 = a + (long)Math.Min(1, rows - 1) * lda;
        float* a2 = a + (long)Math.Min(2, rows - 1) * lda;
        float* a3 = a + (long)Math.Min(3, rows - 1) * lda;
        float* a4 = a + (long)Math.Min(4, rows - 1) * lda;
        float* a5 = a + (long)Math.Min(5, rows - 1) * lda;
        float* a6 = a + (long)Math.Min(6, rows - 1) * lda;
        float* a7 = a + (long)Math.Min(7, rows - 1) * lda;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + 16);
            Vector512<float> x = Vector512.Create(a0[p]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            bp += 32;
        }

        StoreTile(c, ldc, rows, cols, add, edge, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71);
    }

    /// <summary>
    /// An 8x16 tile from the first 16 columns of a packed 32-wide strip: element (r, p) of A at
    /// <c>a[r * rowStride + p * stepStride]</c> (A's rows or Aᵀ's columns); rows past <paramref name="rows"/> repeat the last one and are dropped.
    /// </summary>
    private static void Kernel8x16(int kc, float* a, long rowStride, long stepStride, int rows, float* bp, float* c, int ldc, int cols, bool add, float* edge)
    {
        long o1 = Math.Min(1, rows - 1) * rowStride, o2 = Math.Min(2, rows - 1) * rowStride, o3 = Math.Min(3, rows - 1) * rowStride;
        long o4 = Math.Min(4, rows - 1) * rowStride, o5 = Math.Min(5, rows - 1) * rowStride, o6 = Math.Min(6, rows - 1) * rowStride;
        long o7 = Math.Min(7, rows - 1) * rowStride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b = Vector512.Load(bp);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o1]), b, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o2]), b, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o3]), b, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o4]), b, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o5]), b, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o6]), b, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[o7]), b, c7);
            a += stepStride;
            bp += 32;
        }

        bool full = rows == 8 && cols == 16;
        float* t = full ? c : edge;
        int ld = full ? ldc : 16;
        Store1(t, c0, full && add); Store1(t + ld, c1, full && add); Store1(t + 2 * ld, c2, full && add); Store1(t + 3 * ld, c3, full && add);
        Store1(t + 4 * ld, c4, full && add); Store1(t + 5 * ld, c5, full && add); Store1(t + 6 * ld, c6, full && add); Store1(t + 7 * ld, c7, full && add);
        if (!full)
        {
            CopyEdge(edge, 16, c, ldc, rows, cols, add);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1(float* row, Vector512<float> v, bool add)
    {
        if (add)
        {
            v += Vector512.Load(row);
        }

        Vector512.Store(v, row);
    }

    /// <summary>Writes (or adds) an 8x32 tile; a partial tile goes through <paramref name="edge"/> and only its valid part is copied.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile(float* c, int ldc, int rows, int cols, bool add, float* edge,
        Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11, Vector512<float> c20, Vector512<float> c21,
        Vector512<float> c30, Vector512<float> c31, Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51,
        Vector512<float> c60, Vector512<float> c61, Vector512<float> c70, Vector512<float> c71)
    {
        bool full = rows == 8 && cols == 32;
        float* t = full ? c : edge;
        int ld = full ? ldc : 32;
        bool addHere = full && add;
        Store2(t, c00, c01, addHere); Store2(t + ld, c10, c11, addHere);
        Store2(t + 2 * ld, c20, c21, addHere); Store2(t + 3 * ld, c30, c31, addHere);
        Store2(t + 4 * ld, c40, c41, addHere); Store2(t + 5 * ld, c50, c51, addHere);
        Store2(t + 6 * ld, c60, c61, addHere); Store2(t + 7 * ld, c70, c71, addHere);
        if (!full)
        {
            CopyEdge(edge, 32, c, ldc, rows, cols, add);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* row, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector512.Load(row);
            v1 += Vector512.Load(row + 16);
        }

        Vector512.Store(v0, row);
        Vector512.Store(v1, row + 16);
    }

    /// <summary>
    /// A 6x16 tile on AVX2 from a packed 16-wide strip of B: element (r, p) of A at <c>a[r * rowStride + p * stepStride]</c>
    /// (A's rows or Aᵀ's columns, read in place: packing A cost 16% of the forward product's time on Zen 3); rows past
    /// <paramref name="rows"/> repeat the last one and are dropped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, long rowStride, long stepStride, int rows, float* bp, float* c, int ldc, int cols, bool add, float* edge)
    {
        long o1 = Math.Min(1, rows - 1) * rowStride, o2 = Math.Min(2, rows - 1) * rowStride, o3 = Math.Min(3, rows - 1) * rowStride;
        long o4 = Math.Min(4, rows - 1) * rowStride, o5 = Math.Min(5, rows - 1) * rowStride;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8);
            Vector256<float> x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[o1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[o2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[o3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[o4]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[o5]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            a += stepStride;
            bp += 16;
        }

        bool full = rows == 6 && cols == 16;
        float* t = full ? c : edge;
        int ld = full ? ldc : 16;
        bool addHere = full && add;
        Store2(t, c00, c01, addHere); Store2(t + ld, c10, c11, addHere); Store2(t + 2 * ld, c20, c21, addHere);
        Store2(t + 3 * ld, c30, c31, addHere); Store2(t + 4 * ld, c40, c41, addHere); Store2(t + 5 * ld, c50, c51, addHere);
        if (!full)
        {
            CopyEdge(edge, 16, c, ldc, rows, cols, add);
        }
    }

    /// <summary>The 4x16 AVX2 tile (a remainder of at most 4 rows): <see cref="Kernel6x16"/> with 8 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x16(int kc, float* a, long rowStride, long stepStride, int rows, float* bp, float* c, int ldc, int cols, bool add, float* edge)
    {
        long o1 = Math.Min(1, rows - 1) * rowStride, o2 = Math.Min(2, rows - 1) * rowStride, o3 = Math.Min(3, rows - 1) * rowStride;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8);
            Vector256<float> x = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[o1]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[o2]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[o3]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            a += stepStride;
            bp += 16;
        }

        bool full = rows == 4 && cols == 16;
        float* t = full ? c : edge;
        int ld = full ? ldc : 16;
        bool addHere = full && add;
        Store2(t, c00, c01, addHere); Store2(t + ld, c10, c11, addHere); Store2(t + 2 * ld, c20, c21, addHere); Store2(t + 3 * ld, c30, c31, addHere);
        if (!full)
        {
            CopyEdge(edge, 16, c, ldc, rows, cols, add);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* row, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector256.Load(row);
            v1 += Vector256.Load(row + 8);
        }

        Vector256.Store(v0, row);
        Vector256.Store(v1, row + 8);
    }

    private static void KernelScalar(int kc, float* ap, float* bp, float* c, int ldc, int rows, int cols, bool add, int mr, int nr)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < cols; j++)
            {
                float sum = 0f;
                for (int p = 0; p < kc; p++)
                {
                    sum = MathF.FusedMultiplyAdd(ap[p * mr + r], bp[p * nr + j], sum);
                }

                c[(long)r * ldc + j] = add ? c[(long)r * ldc + j] + sum : sum;
            }
        }
    }

    /// <summary>
    /// An edge tile's valid rows and columns from its buffer into C: 8 columns a vector, the rest one by one (the
    /// output layer's products with n = 10: 7.7 -> 7.35 µs for h·W2, same process, alternating; the same sums).
    /// </summary>
    private static void CopyEdge(float* edge, int ld, float* c, int ldc, int rows, int cols, bool add)
    {
        for (int r = 0; r < rows; r++)
        {
            float* s = edge + r * ld;
            float* d = c + (long)r * ldc;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= cols; j += 8)
                {
                    Vector256<float> v = Vector256.Load(s + j);
                    Vector256.Store(add ? v + Vector256.Load(d + j) : v, d + j);
                }
            }

            for (; j < cols; j++)
            {
                d[j] = add ? d[j] + s[j] : s[j];
            }
        }
    }
}
