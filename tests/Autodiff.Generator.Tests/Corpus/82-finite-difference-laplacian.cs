// Expect: gradient at 0.2, 0.9, -0.4, 1.3, 0.6, -0.8, 0.1, 0.5, -1.1
using System;
using Autodiff;

// A 3 x 3 grid of heights: the discrete Dirichlet energy of the grid, summed over horizontal and vertical neighbours.
public static partial class S
{
    [Differentiable]
    static double Energy(double[,] u)
    {
        int rows = u.GetLength(0), columns = u.GetLength(1);
        double e = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                if (i + 1 < rows) e += (u[i + 1, j] - u[i, j]) * (u[i + 1, j] - u[i, j]);
                if (j + 1 < columns) e += (u[i, j + 1] - u[i, j]) * (u[i, j + 1] - u[i, j]);
            }
        return 0.5 * e;
    }

    [Differentiable]
    public static double F(double[] x)
    {
        var u = new double[3, 3];
        for (int k = 0; k < 9; k++)
            u[k / 3, k % 3] = Math.Tanh(x[k]);
        return Energy(u);
    }
}
