namespace Autodiff.Benchmarks;

/// <summary>
/// A hand-tracking-like residual function written as people write it, with small matrix helpers: a chain of bones,
/// bone b turned by the Euler angles θ[3b..3b+2] (<see cref="Rotation"/> = Rz·Ry·Rx through <see cref="MatMul"/>) and
/// offset along its parent's x axis; each vertex hangs off one bone; the residuals are the posed vertices minus their
/// targets. The generator writes <c>PoseJacobian</c>; <see cref="HandJacobian"/> is the analytic one a person derives.
/// </summary>
public static partial class HandTracking
{
    [Differentiable]
    static double[,] MatMul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1), k = a.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int l = 0; l < k; l++) s += a[i, l] * b[l, j];
                c[i, j] = s;
            }

        return c;
    }

    [Differentiable]
    static double[,] Rotation(double tx, double ty, double tz)
    {
        double cx = Math.Cos(tx), sx = Math.Sin(tx), cy = Math.Cos(ty), sy = Math.Sin(ty), cz = Math.Cos(tz), sz = Math.Sin(tz);
        var rz = new double[,] { { cz, -sz, 0 }, { sz, cz, 0 }, { 0, 0, 1 } };
        var ry = new double[,] { { cy, 0, sy }, { 0, 1, 0 }, { -sy, 0, cy } };
        var rx = new double[,] { { 1, 0, 0 }, { 0, cx, -sx }, { 0, sx, cx } };
        return MatMul(MatMul(rz, ry), rx);
    }

    /// <summary>The residuals: vertices (bone, x, y, z) posed by θ, minus their targets (3 per vertex).</summary>
    [Differentiable]
    public static double[] Pose(double[] theta, [NoDerivative] double[] offsets, [NoDerivative] double[] vertices, [NoDerivative] double[] targets)
    {
        int bones = offsets.Length;
        int count = vertices.Length / 4;
        var global = new double[bones * 12];
        var r = new double[count * 3];
        var frame = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        double px = 0, py = 0, pz = 0;
        for (int b = 0; b < bones; b++)
        {
            px += frame[0, 0] * offsets[b];
            py += frame[1, 0] * offsets[b];
            pz += frame[2, 0] * offsets[b];
            double[,] next = MatMul(frame, Rotation(theta[3 * b], theta[3 * b + 1], theta[3 * b + 2]));
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    frame[i, j] = next[i, j];
                    global[12 * b + 3 * i + j] = next[i, j];
                }

            global[12 * b + 9] = px;
            global[12 * b + 10] = py;
            global[12 * b + 11] = pz;
        }

        for (int v = 0; v < count; v++)
        {
            int b = (int)vertices[4 * v];
            for (int i = 0; i < 3; i++)
            {
                double s = global[12 * b + 9 + i];
                for (int j = 0; j < 3; j++) s += global[12 * b + 3 * i + j] * vertices[4 * v + 1 + j];
                r[3 * v + i] = s - targets[3 * v + i];
            }
        }

        return r;
    }

    /// <summary>
    /// The Jacobian by hand. With F_c the frame before bone c and p_c the joint position, turning θ[3c + a] turns every
    /// later frame about the axis ω = F_c·(Rz Ry eₓ, Rz e_y, e_z)[a] through p_c, so a vertex y on bone b ≥ c moves by
    /// ω × (y - p_c); a vertex on an earlier bone does not move. One pass for the frames, one cross product per entry.
    /// </summary>
    public static double[] HandJacobian(double[] theta, double[] offsets, double[] vertices, double[] targets, double[,] jacobian)
    {
        int bones = offsets.Length, count = vertices.Length / 4;
        var frames = new double[(bones + 1) * 9];
        var joints = new double[bones * 3];
        var axes = new double[bones * 9]; // per bone: ω for θx, θy, θz
        frames[0] = frames[4] = frames[8] = 1;
        double px = 0, py = 0, pz = 0;
        Span<double> rot = stackalloc double[9];
        Span<double> local = stackalloc double[9];
        for (int b = 0; b < bones; b++)
        {
            ReadOnlySpan<double> f = frames.AsSpan(9 * b, 9);
            px += f[0] * offsets[b];
            py += f[3] * offsets[b];
            pz += f[6] * offsets[b];
            joints[3 * b] = px;
            joints[3 * b + 1] = py;
            joints[3 * b + 2] = pz;
            double cx = Math.Cos(theta[3 * b]), sx = Math.Sin(theta[3 * b]);
            double cy = Math.Cos(theta[3 * b + 1]), sy = Math.Sin(theta[3 * b + 1]);
            double cz = Math.Cos(theta[3 * b + 2]), sz = Math.Sin(theta[3 * b + 2]);

            // Rz·Ry·Rx, and the local axes: Rz·Ry·eₓ, Rz·e_y, e_z.
            rot[0] = cz * cy; rot[1] = cz * sy * sx - sz * cx; rot[2] = cz * sy * cx + sz * sx;
            rot[3] = sz * cy; rot[4] = sz * sy * sx + cz * cx; rot[5] = sz * sy * cx - cz * sx;
            rot[6] = -sy; rot[7] = cy * sx; rot[8] = cy * cx;
            local[0] = cz * cy; local[1] = sz * cy; local[2] = -sy;
            local[3] = -sz; local[4] = cz; local[5] = 0;
            local[6] = 0; local[7] = 0; local[8] = 1;
            for (int a = 0; a < 3; a++)
                for (int i = 0; i < 3; i++)
                    axes[9 * b + 3 * a + i] = f[3 * i] * local[3 * a] + f[3 * i + 1] * local[3 * a + 1] + f[3 * i + 2] * local[3 * a + 2];

            Span<double> next = frames.AsSpan(9 * (b + 1), 9);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    next[3 * i + j] = f[3 * i] * rot[j] + f[3 * i + 1] * rot[3 + j] + f[3 * i + 2] * rot[6 + j];
        }

        var r = new double[count * 3];
        jacobian.AsSpan().Clear();
        for (int v = 0; v < count; v++)
        {
            int b = (int)vertices[4 * v];
            ReadOnlySpan<double> f = frames.AsSpan(9 * (b + 1), 9);
            double vx = vertices[4 * v + 1], vy = vertices[4 * v + 2], vz = vertices[4 * v + 3];
            double yx = joints[3 * b] + f[0] * vx + f[1] * vy + f[2] * vz;
            double yy = joints[3 * b + 1] + f[3] * vx + f[4] * vy + f[5] * vz;
            double yz = joints[3 * b + 2] + f[6] * vx + f[7] * vy + f[8] * vz;
            r[3 * v] = yx - targets[3 * v];
            r[3 * v + 1] = yy - targets[3 * v + 1];
            r[3 * v + 2] = yz - targets[3 * v + 2];
            for (int c = 0; c <= b; c++)
            {
                double dx = yx - joints[3 * c], dy = yy - joints[3 * c + 1], dz = yz - joints[3 * c + 2];
                for (int a = 0; a < 3; a++)
                {
                    double wx = axes[9 * c + 3 * a], wy = axes[9 * c + 3 * a + 1], wz = axes[9 * c + 3 * a + 2];
                    int column = 3 * c + a;
                    jacobian[3 * v, column] = wy * dz - wz * dy;
                    jacobian[3 * v + 1, column] = wz * dx - wx * dz;
                    jacobian[3 * v + 2, column] = wx * dy - wy * dx;
                }
            }
        }

        return r;
    }
}

/// <summary>Span of a 2-D array's storage (row by row), for clearing it.</summary>
internal static class MatrixSpan
{
    public static Span<double> AsSpan(this double[,] matrix)
        => System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.CompilerServices.Unsafe.As<byte, double>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(matrix)), matrix.Length);
}
