using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Autodiff.Generator.Transforms;

namespace Autodiff.Generator.Emit;

// Split calls: a call outside loops evaluated once, by its VJP seeded with 1 in the forward sweep, its partials kept
// for the reverse sweep (see CallLifting); and a call of G that reuses the value and partials of a directional call
// of G before it (see PairedCalls).
internal sealed partial class ReverseEmitter
{
    // The split directional calls emitted so far whose value a later call of their method reads (see PairedCalls).
    private readonly Dictionary<AssignStmt, DirectionalValue> _directionalValues = new(ReferenceComparer<AssignStmt>.Instance);

    /// <summary>
    /// <c>t = G(a, b)</c> outside loops (see <see cref="CallLifting"/>): the forward sweep calls G's VJP with seed 1,
    /// which returns the value and writes the partials ∂G/∂a, ∂G/∂b into locals (an array's into a pooled array of its
    /// length); the reverse sweep only scales them, <c>da += dt * ∂G/∂a</c>. One call where the plain scheme made two
    /// (G forward, G's VJP backward, which runs G again), and so linear, not quadratic, through recursion over scalars
    /// (over an array, each level still keeps partials of the array's length).
    /// </summary>
    /// <param name="onTape">In a loop: the partials are pushed after the call (scalars on the tape of their kind, an
    /// array's pooled storage on the array tape and its length on the int tape) and popped by the reverse sweep.</param>
    private (CodeBlock, CodeBlock) EmitSplitCall(AssignStmt assign, CallExpr call, CodeBlock forward, Code? restore, VarInfo variable, bool onTape = false)
    {
        var arguments = new List<Expr>();
        var partials = new List<(Expr Argument, VarExpr Partial)>();
        var arrayPartials = new List<ArrayPartial>();
        var outputs = new List<Expr>();
        var slots = new VarExpr?[call.Args.Count];
        var rent = new CodeBlock();
        for (int i = 0; i < call.Args.Count; i++)
        {
            arguments.Add(call.Args[i]);
            CalleeParam parameter = call.Callee.Parameters[i];
            if (parameter.Differentiable && parameter.Shape != ShapeKind.Scalar)
            {
                // An array's partials: a pooled array of its length, written by the VJP, scaled into its adjoint and
                // given back by the reverse sweep.
                string keyword = TypeClassifier.Keyword(parameter.Kind);
                var buffer = Build.Var(parameter.Kind, _c.Temp("__pbuffer"));
                VarExpr length = DeclareSlot("__plength", ScalarKind.Int);
                _c.Declarations.Add(new DeclareCode(keyword + "[]?", buffer.Name, new OpaqueExpr(parameter.Kind, "null")));
                rent.Add(new AssignCode(length, new LengthExpr(((VarExpr)call.Args[i]).Name)));
                rent.Add(new AssignCode(buffer, new RentExpr(parameter.Kind, length)));
                outputs.Add(new SpanExpr(parameter.Kind, buffer.Name, length, ReadOnly: false));
                arrayPartials.Add(new ArrayPartial(((VarExpr)call.Args[i]).Name, parameter.Kind, buffer.Name, length));
            }
            else if (parameter.Differentiable)
            {
                VarExpr partial = DeclareSlot("__p", parameter.Kind);
                outputs.Add(new OutExpr(parameter.Kind, partial.Name, Declare: false));
                partials.Add((call.Args[i], partial));
                slots[i] = partial;
            }
        }

        if (_c.Pairs.GivesValue(assign))
        {
            // The value of the method the directional derivative is of, for a later call of it (see PairedCalls).
            VarExpr value = DeclareSlot("__pv", call.Kind);
            outputs.Add(new OutExpr(call.Kind, value.Name, Declare: false));
            _directionalValues[assign] = new DirectionalValue(value, slots);
        }

        // In a loop the partials go on the tapes after the call and come back, in the reverse order, before the restore
        // of the statement's old value (pushed before the call).
        var pushes = new CodeBlock();
        CodeBlock? pops = null;
        if (onTape)
        {
            pops = new CodeBlock();
            var popped = new List<(Expr Argument, VarExpr Partial)>();
            foreach ((Expr argument, VarExpr partial) in partials)
            {
                pushes.Add(new PushCode(_c.TapeFor(partial.Kind), partial));
                popped.Add((argument, Build.Var(partial.Kind, _c.Temp("__pr"))));
            }

            var poppedArrays = new List<ArrayPartial>();
            foreach (ArrayPartial array in arrayPartials)
            {
                pushes.Add(new PushCode(_c.ArrayTapeFor(array.Kind), Build.Var(array.Kind, array.Buffer)));
                pushes.Add(new PushCode(_c.TapeFor(ScalarKind.Int), array.Length));
                poppedArrays.Add(array with { Buffer = _c.Temp("__pbr"), Length = Build.Var(ScalarKind.Int, _c.Temp("__plr")) });
            }

            for (int k = poppedArrays.Count - 1; k >= 0; k--)
            {
                pops.Add(new DeclareCode("int", poppedArrays[k].Length.Name, new TapePopExpr(ScalarKind.Int, _c.TapeFor(ScalarKind.Int))));
                pops.Add(new DeclareCode(TypeClassifier.Keyword(poppedArrays[k].Kind) + "[]?", poppedArrays[k].Buffer, new TapePopExpr(poppedArrays[k].Kind, _c.ArrayTapeFor(poppedArrays[k].Kind))));
            }

            for (int k = popped.Count - 1; k >= 0; k--)
            {
                pops.Add(new DeclareCode(TypeClassifier.Keyword(popped[k].Partial.Kind), popped[k].Partial.Name, new TapePopExpr(popped[k].Partial.Kind, _c.TapeFor(popped[k].Partial.Kind))));
            }

            (partials, arrayPartials) = (popped, poppedArrays);
        }

        // The partials' own forward code reads the arguments before the call may overwrite one (x = G(x)).
        CodeBlock reverse = ScaledPartials(assign, forward, restore, variable, partials, arrayPartials, pops);
        forward.Append(rent);
        arguments.Add(Build.Lit(1, call.Kind));
        forward.Add(new AssignCode(Build.Var(variable.Kind, assign.Target), new InvokeExpr(call.Kind, call.Callee.Vjp, new EquatableArray<Expr>(arguments.Concat(outputs)))));
        forward.Append(pushes);
        return (forward, reverse);
    }

    /// <summary>
    /// <c>c = G(a)</c> after <c>v = GDirectional(a, ta)</c> (see <see cref="PairedCalls"/>): the value is the one that
    /// call wrote, and G's partials with respect to a are the directional derivative's with respect to ta.
    /// </summary>
    private (CodeBlock, CodeBlock) EmitPairedCall(AssignStmt assign, CallExpr call, CodeBlock forward, Code? restore, VarInfo variable, DirectionalValue paired)
    {
        var partials = new List<(Expr Argument, VarExpr Partial)>();
        int tangent = call.Args.Count;
        for (int i = 0; i < call.Args.Count; i++)
        {
            if (call.Callee.Parameters[i].Differentiable)
            {
                partials.Add((call.Args[i], paired.Partials[tangent++]!));
            }
        }

        CodeBlock reverse = ScaledPartials(assign, forward, restore, variable, partials);
        forward.Add(new AssignCode(Build.Var(variable.Kind, assign.Target), paired.Value));
        return (forward, reverse);
    }

    // The reverse of a split call: the result's adjoint times each partial kept from the forward sweep.
    private CodeBlock ScaledPartials(AssignStmt assign, CodeBlock forward, Code? restore, VarInfo variable, List<(Expr Argument, VarExpr Partial)> partials,
        List<ArrayPartial>? arrayPartials = null, CodeBlock? pops = null)
    {
        string keyword = TypeClassifier.Keyword(variable.Kind);
        var reverse = new CodeBlock().Comment(assign.Comment + "   (partials from the forward sweep)");
        var adjoint = Build.Var(variable.Kind, _c.Derivative(assign.Target));
        string g = _c.Temp("__g");
        reverse.Add(new DeclareCode(keyword, g, adjoint));
        reverse.Add(new AssignCode(adjoint, Build.Lit(0, variable.Kind)));
        if (pops is not null)
        {
            reverse.Append(pops);
        }

        if (restore is not null)
        {
            reverse.Add(restore);
        }

        // Outside loops the values the arguments' chain rule reads are computed by the forward sweep and kept; in a loop
        // (pops given) a later iteration would overwrite them, so the reverse sweep computes them, as for any statement.
        bool inLoop = pops is not null;
        var scope = new ValueScope(null, hoistedDeclarations: inLoop ? null : _c.Declarations);
        foreach ((Expr argument, VarExpr partial) in partials)
        {
            Child(argument, new Adjoint(Build.Mul(Build.Var(variable.Kind, g), partial)), scope);
        }

        scope.FlushAccumulations();
        reverse.Append(inLoop ? scope.Flatten() : scope.Body);
        if (!inLoop)
        {
            forward.Append(scope.OwnPre);
        }

        foreach (ArrayPartial array in arrayPartials ?? Enumerable.Empty<ArrayPartial>())
        {
            if (_c.Activity.IsActive(array.Name) && _c.HasDerivative(array.Name))
            {
                reverse.Add(new AddSpanCode(_c.Derivative(array.Name), array.Kind, array.Buffer, array.Length, Scale: Build.Var(variable.Kind, g)));
            }

            reverse.Add(new ReturnCode(array.Kind, array.Buffer, IfRented: true));
        }

        return reverse;
    }

    /// <summary>A split call's partials with respect to an array argument, in a pooled buffer of the array's length.</summary>
    private sealed record ArrayPartial(string Name, ScalarKind Kind, string Buffer, VarExpr Length);

    /// <summary>What a split directional call kept for a later call of its method: the value and the partial per argument.</summary>
    private sealed record DirectionalValue(VarExpr Value, VarExpr?[] Partials);
}
