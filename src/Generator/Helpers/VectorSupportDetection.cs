using System.Threading;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Autodiff.Generator.Helpers;

/// <summary>Reads <see cref="VectorSupport"/> off a compilation: its references, language version and options.</summary>
internal static class VectorSupportDetection
{
    public static VectorSupport Detect(Compilation compilation, CancellationToken cancellationToken)
    {
        INamedTypeSymbol? vector512 = compilation.GetTypeByMetadataName("System.Runtime.Intrinsics.Vector512");
        bool lanes = vector512 is not null && compilation is CSharpCompilation { LanguageVersion: >= LanguageVersion.CSharp11 }
            && compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal") is not null;
        // A referenced assembly whose internals this one sees (InternalsVisibleTo) may carry the lane types already:
        // use those rather than add a second copy (CS0436 on every use).
        INamedTypeSymbol? referenced = compilation.GetTypeByMetadataName("Autodiff.Generated.IAutodiffLanes`2");
        // (only when they have every member this version calls; else a copy of our own, warnings and all).
        bool net9 = lanes && !vector512!.GetMembers("Exp").IsEmpty && !vector512.GetMembers("FusedMultiplyAdd").IsEmpty;
        bool inherited = referenced is not null && compilation.IsSymbolAccessibleWithin(referenced, compilation.Assembly)
            && !referenced.GetMembers("ShiftIn").IsEmpty && (!net9 || !referenced.GetMembers("Exp").IsEmpty);
        bool skipLocalsInit = compilation.Options is CSharpCompilationOptions { AllowUnsafe: true }
            && compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.SkipLocalsInitAttribute") is not null;
        return new VectorSupport(lanes, net9, inherited, skipLocalsInit);
    }
}
