using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Emit;

/// <summary>
/// Forward mode: a tangent beside every active value, updated right before the value itself (the tangent
/// reads the old values). Control flow is the primal's, so no tape is needed. Builds IR like the reverse transform.
/// </summary>
internal sealed class ForwardEmitter
{
    private readonly MethodContext _c;
    private readonly ReverseEmitter _arrays;

    // Loops around the statement being written: an array made in one is made again in every iteration.
    private int _loopDepth;
    private readonly Dictionary<ScalarKind, string> _zeroBuffers = new();

    // The tangent of each derivative call already made, by what holds its value (what ValueScope remembers).
    private readonly Dictionary<Expr, Expr> _callTangents = new();

    public ForwardEmitter(MethodContext context)
    {
        _c = context;
        _arrays = new ReverseEmitter(context);
    }

    public CodeBlock EmitSequence(IEnumerable<Stmt> statements)
    {
        var output = new CodeBlock();
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case AssignStmt a:
                    EmitAssign(a, output);
                    break;
                case ArrayDeclStmt d:
                    output.Comment(d.Comment);
                    var length = Build.Var(ScalarKind.Int, _c.Temp("__length"));
                    output.Add(new DeclareCode("int", length.Name, d.Length));
                    VarInfo array = _c.Variables[d.Name];
                    _arrays.PooledArray(output, array.Kind, array.Name, length, reuse: _loopDepth > 0);
                    // The caller's span: the method's prologue sets every tangent of the output to zero next.
                    if (_c.HasDerivative(d.Name) && _c.Derivative(d.Name) != _c.OutputTangent)
                    {
                        _arrays.PooledArray(output, _c.TangentKind(array.Kind), _c.Derivative(d.Name), length, reuse: _loopDepth > 0);
                    }

                    break;
                case IfStmt s:
                    output.Comment(s.Comment);
                    output.Add(new IfCode(s.Condition, EmitSequence(s.Then), EmitSequence(s.Else)));
                    break;
                case GuardStmt g:
                    output.Comment(g.Comment);
                    output.Line(g.Text);
                    break;
                case LoopStmt l:
                    output.Comment(l.Comment);
                    _loopDepth++;
                    CodeBlock body = EmitSequence(l.Body);
                    body.Append(EmitSequence(l.Step));
                    _loopDepth--;
                    output.Add(new WhileCode(l.Condition, body, l.TestAtEnd));
                    break;
            }
        }

        return output;
    }

    private void EmitAssign(AssignStmt assign, CodeBlock output)
    {
        output.Comment(assign.Comment);
        ScalarKind kind = _c.Variables[assign.Target].Kind;
        var scope = new ValueScope(null);
        Expr? tangent = null;
        if (_c.Activity.IsActive(assign.Target))
        {
            tangent = _c.Activity.IsActive(assign.Value) ? Tangent(assign.Value, scope) : null;
            tangent = tangent is null ? Build.Lit(0, kind) : _c.FusedTangents ? Fuse(tangent) : tangent;
        }

        Expr value = scope.Known(assign.Value);
        output.Append(scope.Flatten());
        if (tangent is not null)
        {
            string name = _c.Derivative(assign.Target);
            output.Add(new AssignCode(assign.Index is null ? Build.Var(kind, name) : new ElemExpr(kind, name, assign.Index), tangent));
        }

        output.Add(new AssignCode(assign.Index is null ? Build.Var(kind, assign.Target) : new ElemExpr(kind, assign.Target, assign.Index), value));
    }

    /// <summary>The tangent of an expression, or null when it is zero.</summary>
    private Expr? Tangent(Expr expr, ValueScope scope)
    {
        if (!_c.Activity.IsActive(expr))
        {
            return null;
        }

        switch (expr)
        {
            case VarExpr v:
                return Build.Var(v.Kind, _c.Derivative(v.Name));
            case ElemExpr e:
                return new ElemExpr(e.Kind, _c.Derivative(e.Array), e.Index);
            // t(c ? a : b) = c ? ta : tb, evaluated inline so that only the branch taken runs
            case CondExpr c:
            {
                var inline = new ValueScope(scope, inline: true);
                Expr zero = Build.Lit(0, c.Kind);
                return new CondExpr(c.Kind, c.Condition, Tangent(c.WhenTrue, inline) ?? zero, Tangent(c.WhenFalse, inline) ?? zero);
            }

            case CallExpr call:
                return CallTangent(call, scope);

            default:
                return TangentRules.Of(expr, e => Tangent(e, scope), e => Value(e, scope), out _);
        }
    }

    // A call to another differentiable function: its JVP, or, for a custom derivative without one, its VJP
    // seeded with 1 (for a scalar function the JVP is the gradient dotted with the tangents).
    private Expr CallTangent(CallExpr call, ValueScope scope)
    {
        // Called once per call site and scope: Value(call) evaluates the derivative call and keeps its value, and the
        // tangent asked for afterwards is the one that call gave (a second call made recursion exponential).
        if (!scope.Inline && scope.Lookup(call) is { } evaluated && _callTangents.TryGetValue(evaluated, out Expr? known))
        {
            return known;
        }

        var arguments = new List<Expr>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            arguments.Add(call.Callee.Parameters[i].Shape == ShapeKind.Scalar ? Value(call.Args[i], scope) : call.Args[i]);
        }

        string keyword = TypeClassifier.Keyword(call.Kind);
        if (call.Callee.Jvp is { } jvp)
        {
            for (int i = 0; i < call.Args.Count; i++)
            {
                CalleeParam parameter = call.Callee.Parameters[i];
                if (parameter.Differentiable)
                {
                    arguments.Add(parameter.Shape == ShapeKind.Scalar
                        ? Tangent(call.Args[i], scope) ?? Build.Lit(0, parameter.Kind)
                        : ArrayTangent((VarExpr)call.Args[i], parameter.Kind));
                }
            }

            Expr invocation = new InvokeExpr(call.Kind, jvp, new EquatableArray<Expr>(arguments));
            if (scope.Inline)
            {
                return new MemberExpr(call.Kind, invocation, "Tangent");
            }

            var pair = Build.Var(call.Kind, _c.Temp("__jvp"));
            scope.Pre.Add(new DeclareCode($"({keyword} Value, {keyword} Tangent)", pair.Name, invocation));
            var pairValue = new MemberExpr(call.Kind, pair, "Value");
            var pairTangent = new MemberExpr(call.Kind, pair, "Tangent");
            scope.Remember(call, pairValue);
            _callTangents[pairValue] = pairTangent;
            return pairTangent;
        }

        var outputs = new List<Expr>();
        var buffers = new List<(string Buffer, ScalarKind Kind)>();
        Expr? sum = null;
        for (int i = 0; i < call.Args.Count; i++)
        {
            CalleeParam parameter = call.Callee.Parameters[i];
            if (!parameter.Differentiable)
            {
                continue;
            }

            string d = _c.Temp("__d");
            if (parameter.Shape == ShapeKind.Scalar)
            {
                outputs.Add(new OutExpr(parameter.Kind, d, Declare: true));
                sum = TangentRules.Sum(sum, Scale(Build.Var(parameter.Kind, d), Tangent(call.Args[i], scope)), false);
                continue;
            }

            string name = ((VarExpr)call.Args[i]).Name;
            var length = new LengthExpr(name);
            scope.Pre.Add(new DeclareCode(TypeClassifier.Keyword(parameter.Kind) + "[]", d, new RentExpr(parameter.Kind, length)));
            outputs.Add(new SpanExpr(parameter.Kind, d, length, ReadOnly: false));
            buffers.Add((d, parameter.Kind));
            if (_c.Activity.IsActive(name))
            {
                sum = TangentRules.Sum(sum, Build.Invoke(parameter.Kind, TypeRefs.Helpers + ".Dot", new SpanExpr(parameter.Kind, d, length, ReadOnly: true), Build.Var(parameter.Kind, _c.Derivative(name))), false);
            }
        }

        var value = Build.Var(call.Kind, _c.Temp("__v"));
        arguments.Add(Build.Lit(1, call.Kind));
        scope.Pre.Add(new DeclareCode(keyword, value.Name, new InvokeExpr(call.Kind, call.Callee.Vjp, new EquatableArray<Expr>(arguments.Concat(outputs)))));
        scope.Remember(call, value);
        var tangent = Build.Var(call.Kind, _c.Temp("__t"));
        scope.Pre.Add(new DeclareCode(keyword, tangent.Name, sum ?? Build.Lit(0, call.Kind)));
        _callTangents[value] = tangent;
        foreach ((string buffer, ScalarKind bufferKind) in buffers)
        {
            scope.Pre.Add(new ReturnCode(bufferKind, buffer, IfRented: false));
        }

        return tangent;
    }

    // The tangent of an array argument: its tangent span, or zeros (pooled) when the array is passive.
    private Expr ArrayTangent(VarExpr array, ScalarKind kind)
    {
        if (_c.Activity.IsActive(array.Name))
        {
            return Build.Var(kind, _c.Derivative(array.Name));
        }

        // One pooled buffer of zeros per method and kind, grown on demand and given back at the end.
        string keyword = TypeClassifier.Keyword(kind);
        if (!_zeroBuffers.TryGetValue(kind, out string? zeros))
        {
            zeros = _c.Fresh("__zeros" + char.ToUpperInvariant(keyword[0]));
            _zeroBuffers[kind] = zeros;
            _c.Declarations.Add(new DeclareCode(keyword + "[]?", zeros, new OpaqueExpr(kind, "null")));
            _c.Cleanup.Add(new CallCode(Build.Invoke(kind, TypeRefs.Helpers + ".Release", new RefExpr(kind, zeros))));
        }

        return Build.Invoke(kind, TypeRefs.Helpers + ".Zeros", new RefExpr(kind, zeros), new LengthExpr(array.Name));
    }

    private Expr Value(Expr node, ValueScope scope)
    {
        if (node is ConstExpr or VarExpr or ElemExpr or LengthExpr or OpaqueExpr || scope.Inline)
        {
            return scope.Known(node);
        }

        if (scope.Lookup(node) is { } known)
        {
            return known;
        }

        if (!_c.Activity.IsActive(node) || node is CondExpr)
        {
            return scope.Known(node);
        }

        if (node is CallExpr call)
        {
            CallTangent(call, scope);
            return scope.Lookup(node)!;
        }

        Expr value = Build.Substitute(node, n => ReferenceEquals(n, node) ? null : Value(n, scope));
        var temp = Build.Var(node.Kind, _c.Temp("__v"));
        scope.Pre.Add(new DeclareCode(TypeClassifier.Keyword(node.Kind), temp.Name, value));
        scope.Remember(node, temp);
        return temp;
    }

    // A sum of tangents with terms that are a tangent times a value, a + b c + ..., as fused multiply-adds of lane
    // vectors: the lanes of a sweep along many directions make such sums long (ts = ts + ta·b + a·tb per iteration),
    // and the fused form halves their latency. Only the tangent's own sums are taken apart: every operand of such a
    // sum is a tangent, and a product among them is a tangent times a value, so the product's factors are left whole.
    private static Expr Fuse(Expr tangent)
    {
        if (tangent is not BinaryExpr { Op: BinaryOp.Add })
        {
            return tangent;
        }

        var terms = new List<Expr>();
        Terms(tangent, terms);
        Expr? sum = null;
        foreach (Expr term in terms.Where(t => t is not BinaryExpr { Op: BinaryOp.Multiply }))
        {
            sum = sum is null ? term : Build.Add(sum, term);
        }

        foreach (BinaryExpr product in terms.OfType<BinaryExpr>().Where(t => t.Op == BinaryOp.Multiply))
        {
            sum = sum is null ? product : Build.Invoke(product.Kind, LaneJacobian.LaneType + ".FusedMultiplyAdd", product.Left, product.Right, sum);
        }

        return sum!;
    }

    private static void Terms(Expr sum, List<Expr> terms)
    {
        if (sum is BinaryExpr { Op: BinaryOp.Add } add)
        {
            Terms(add.Left, terms);
            Terms(add.Right, terms);
        }
        else
        {
            terms.Add(sum);
        }
    }

    private static Expr? Scale(Expr? a, Expr? b) => a is null || b is null ? null : Build.Mul(a, b);
}
