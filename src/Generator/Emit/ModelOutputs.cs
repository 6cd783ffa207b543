using System;
using System.Collections.Immutable;
using System.Threading;
using Autodiff.Generator.Diagnostics;
using Autodiff.Generator.Ir.Tensors;
using Autodiff.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Autodiff.Generator.Emit;

/// <summary>The source-output callbacks of the model pipelines (kept out of the wiring file).</summary>
internal static class ModelOutputs
{
    public static TensorMethod? TakeModel(TensorParseResult result, CancellationToken cancellationToken) => result.Model;

    public static ImmutableArray<Diagnostic> TakeDiagnostics(TensorParseResult result, CancellationToken cancellationToken) => result.Diagnostics;

    public static void EmitModel(SourceProductionContext context, ModelClass? model)
    {
        if (model is null)
        {
            return;
        }

        Emit(context, model.HintName, model.Name, () => ModelEmitter.Emit(model), null);
    }

    public static void EmitMethod(SourceProductionContext context, TensorMethod? method)
    {
        if (method is null)
        {
            return;
        }

        Emit(context, method.HintName, method.Name, () => TensorMethodEmitter.Emit(method), () => TensorMethodEmitter.Emit(method with { IsStub = true }));
    }

    private static void Emit(SourceProductionContext context, string hint, string name, Func<string> emit, Func<string>? stub)
    {
        string source;
        try
        {
            source = emit();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Never throw from a generator (CS8785 hides all output): report, and emit stubs when there are any.
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, name, exception.GetType().Name + ": " + exception.Message));
            if (stub is null)
            {
                return;
            }

            try
            {
                source = stub();
            }
            catch (Exception stubException) when (stubException is not OperationCanceledException)
            {
                return;
            }
        }

        context.AddSource(hint, SourceText.From(source, System.Text.Encoding.UTF8));
    }
}
