using System;
using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Autodiff.Generator.Helpers;

/// <summary>What both generators do at their outputs: add a file without ever throwing, and report diagnostics.</summary>
internal static class SourceOutput
{
    /// <summary>
    /// Adds <paramref name="hint"/> with the text <paramref name="emit"/> returns. A generator must never throw (CS8785
    /// hides every file it wrote): a failure is reported as AD0901 and <paramref name="stub"/>'s text, when there is
    /// one, is added instead so that callers still compile. <c>AddSource</c> itself is inside the guard too (a
    /// duplicate hint name throws).
    /// </summary>
    public static void Add(SourceProductionContext context, string hint, string name, Func<string> emit, Func<string>? stub)
    {
        try
        {
            context.AddSource(hint, SourceText.From(emit(), System.Text.Encoding.UTF8));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, name, exception.GetType().Name + ": " + exception.Message));
            if (stub is null)
            {
                return;
            }

            try
            {
                context.AddSource(hint, SourceText.From(stub(), System.Text.Encoding.UTF8));
            }
            catch (Exception stubException) when (stubException is not OperationCanceledException)
            {
                // The report above is all there is.
            }
        }
    }

    /// <summary>The diagnostics of a parse step, for the report step (an equatable value, so an unchanged list is not re-reported).</summary>
    public static EquatableArray<DiagnosticInfo> Diagnostics<T>(ParseResult<T> result, CancellationToken cancellationToken)
        where T : class
        => result.Diagnostics;

    /// <summary>Reports the diagnostics of one method.</summary>
    public static void Report(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (DiagnosticInfo diagnostic in diagnostics)
        {
            context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
