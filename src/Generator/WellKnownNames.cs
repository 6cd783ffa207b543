namespace Autodiff.Generator;

/// <summary>Metadata names the generator looks for.</summary>
internal static class WellKnownNames
{
    public const string DifferentiableAttribute = "Autodiff.DifferentiableAttribute";
    public const string NoDerivativeAttribute = "Autodiff.NoDerivativeAttribute";
    public const string OutputAttribute = "Autodiff.OutputAttribute";
    public const string CustomDerivativeAttribute = "Autodiff.CustomDerivativeAttribute";
    public const string RegisterDerivativeAttribute = "Autodiff.RegisterDerivativeAttribute";
    public const string ModelAttribute = "Autodiff.ModelAttribute";
    public const string Tensor = "Autodiff.Tensor";
    public const string AdClass = "Autodiff.Ad";
    public const string Math = "System.Math";
    public const string MathF = "System.MathF";
}
