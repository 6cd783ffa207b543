using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Autodiff.Generator.Ir;

/// <summary>
/// Output of the parse step: the model (or null when the method's declaration is not one the analyzer
/// accepts) and the body's diagnostics. Only <see cref="Model"/> flows on to emission; diagnostics go out on
/// their own path with real locations, so that <c>#pragma warning disable</c> works on them.
/// </summary>
internal sealed record ParseResult(DifferentiableMethod? Model, ImmutableArray<Diagnostic> Diagnostics);
