namespace Autodiff
{
    /// <summary>Helpers that <see cref="DifferentiableAttribute"/> methods may call.</summary>
    public static class Ad
    {
        /// <summary>Returns <paramref name="x"/> unchanged; the generator treats the result as a constant (zero derivative), like <c>jax.lax.stop_gradient</c>.</summary>
        public static double StopGradient(double x) => x;

        /// <summary>Returns <paramref name="x"/> unchanged; the generator treats the result as a constant (zero derivative).</summary>
        public static float StopGradient(float x) => x;
    }
}
