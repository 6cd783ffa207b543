using Autodiff;
using Autodiff.Kernels;
using Xunit;

namespace Autodiff.Runtime.Tests;

/// <summary>The blocked GEMM against a naive triple loop in double, over random shapes, transposes and thread counts.</summary>
[Collection(ThreadCount.Collection)]
public class MatMulTests
{
    [Fact]
    public void Gemm_matches_the_naive_product_over_random_shapes_and_transposes()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 60; trial++)
        {
            int m = random.Next(1, 70), n = random.Next(1, 90), k = random.Next(1, 300);
            if (trial % 10 == 0)
            {
                (m, n, k) = (random.Next(90, 200), random.Next(30, 140), random.Next(250, 600)); // several KC/MC blocks, threads
            }

            bool ta = random.Next(2) == 0, tb = random.Next(2) == 0, accumulate = random.Next(2) == 0;
            float[] a = RandomArray(random, m * k), b = RandomArray(random, k * n), c = RandomArray(random, m * n);
            double[] expected = new double[m * n];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = accumulate ? c[i * n + j] : 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = ta ? a[p * m + i] : a[i * k + p];
                        double bv = tb ? b[j * k + p] : b[p * n + j];
                        sum += av * bv;
                    }

                    expected[i * n + j] = sum;
                }
            }

            Gemm.Multiply(a, ta ? m : k, ta, b, tb ? k : n, tb, c, n, m, n, k, accumulate, threads: 1 + trial % 2);
            for (int i = 0; i < c.Length; i++)
            {
                Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * Math.Sqrt(k) * (1 + Math.Abs(expected[i])),
                    $"({m}x{k})·({k}x{n}) ta={ta} tb={tb} acc={accumulate}: element {i}: {c[i]} vs {expected[i]}");
            }
        }
    }

    [Theory]
    [InlineData(128, 784, 128, false, true)]   // the MLP's input gradient: 16x16 transposes, a last strip of 16 columns; AVX2: two panels of B (400 + 384 columns)
    [InlineData(784, 128, 128, true, false)]   // the MLP's weight gradient: AVX2 packs Aᵀ's tile rows (its rows are 3 KB apart), the last one 4 rows
    [InlineData(128, 10, 128, false, false)]   // the output layer: 8x16 tiles, 10 columns of 16 used
    [InlineData(128, 10, 128, true, false)]    // its weight gradient (Aᵀ, read in place: 64 KB of rows)
    [InlineData(13, 26, 40, true, true)]       // partial row strips with Aᵀ, both tile widths
    [InlineData(26, 600, 500, false, false)]   // AVX2: two k blocks of 250, B's panel narrowed to 192 columns (4 panels, the last 24 wide), rows 6 + 6 + 6 + 4 + 4; full 16-wide strips packed by vector copies
    [InlineData(31, 600, 500, true, true)]     // the same with Aᵀ and Bᵀ, rows 5 x 6 + a 4-row tile holding 1
    public void Gemm_matches_the_naive_product_for_the_mlp_shapes(int m, int n, int k, bool ta, bool tb)
    {
        var random = new Random(m + n + k);
        float[] a = RandomArray(random, m * k), b = RandomArray(random, k * n), c = RandomArray(random, m * n);
        float[] start = (float[])c.Clone();
        Gemm.Multiply(a, ta ? m : k, ta, b, tb ? k : n, tb, c, n, m, n, k, accumulate: true, threads: 1);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = start[i * n + j];
                for (int p = 0; p < k; p++)
                {
                    sum += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }

                Assert.True(Math.Abs(c[i * n + j] - sum) <= 1e-4 * Math.Sqrt(k) * (1 + Math.Abs(sum)), $"[{i}, {j}]: {c[i * n + j]} vs {sum}");
            }
        }
    }

    [Fact]
    public void Product_is_bitwise_identical_for_one_and_two_threads()
    {
        var random = new Random(3);
        Tensor a = TensorOpTests.RandomTensor(random, new[] { 200, 300 }, false, false);
        Tensor b = TensorOpTests.RandomTensor(random, new[] { 300, 150 }, false, false);
        int saved = Tensor.Threads;
        try
        {
            Tensor.Threads = 1;
            float[] one = Tensor.MatMul(a, b).Span.ToArray();
            Tensor.Threads = 2;
            float[] two = Tensor.MatMul(a, b).Span.ToArray();
            Assert.Equal(one, two);
        }
        finally
        {
            Tensor.Threads = saved;
        }
    }

    [Theory]
    [InlineData(128, 128, 784, false, false, false)] // the MLP's forward product: two column strips per thread
    [InlineData(128, 784, 128, false, true, false)]  // its input gradient (Bᵀ): 12 and 13 strips, the last one 16 wide
    [InlineData(100, 150, 70, true, false, true)]    // odd sizes, Aᵀ, accumulating
    [InlineData(7, 1000, 40, true, true, false)]     // one partial row strip, many column strips
    public void Few_row_products_split_by_columns_match_one_thread_bitwise(int m, int n, int k, bool ta, bool tb, bool accumulate)
    {
        // Few rows (at most 192): two threads take ranges of C's columns instead of its rows; the result
        // must not depend on it.
        var random = new Random(m * 7 + n);
        float[] a = RandomArray(random, m * k), b = RandomArray(random, k * n), start = RandomArray(random, m * n);
        float[] one = (float[])start.Clone(), two = (float[])start.Clone();
        Gemm.Multiply(a, ta ? m : k, ta, b, tb ? k : n, tb, one, n, m, n, k, accumulate, threads: 1);
        Gemm.Multiply(a, ta ? m : k, ta, b, tb ? k : n, tb, two, n, m, n, k, accumulate, threads: 2);
        Assert.Equal(one, two);
        for (int i = 0; i < m; i += 13)
        {
            for (int j = 0; j < n; j += 7)
            {
                double sum = accumulate ? start[i * n + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    sum += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }

                Assert.True(Math.Abs(two[i * n + j] - sum) <= 1e-4 * Math.Sqrt(k) * (1 + Math.Abs(sum)), $"[{i}, {j}]: {two[i * n + j]} vs {sum}");
            }
        }
    }

    [Fact]
    public void Empty_inner_dimension_gives_zeros()
    {
        float[] c = { 1, 2, 3, 4 };
        Gemm.Multiply(Array.Empty<float>(), 0, false, Array.Empty<float>(), 2, false, c, 2, 2, 2, 0, false, 1);
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    private static float[] RandomArray(Random random, int length)
        => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
