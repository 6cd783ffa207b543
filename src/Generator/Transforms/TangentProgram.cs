using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Emit;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Transforms;

/// <summary>
/// Forward mode as a program of the primal IR: from <c>f(x, w)</c>, the method <c>(x, w, tx, tw) ↦ ∇f·(tx, tw)</c>, with
/// a tangent statement before each active assignment (the tangent reads the old values), intermediate values kept in
/// locals of their own where a rule reads them, and control flow unchanged. Being an ordinary method of the IR, it goes
/// through the reverse transform like a user's: its gradient with respect to <c>x, w</c> is the Hessian-vector product
/// <c>H·(tx, tw)</c> (reverse over forward), with every analysis and pass of the reverse mode applied to it, and with
/// respect to <c>tx, tw</c> the gradient of f.
/// </summary>
internal sealed class TangentProgram
{
    private readonly DifferentiableMethod _method;
    private readonly ActivityAnalysis _activity;
    private readonly NameSet _names;
    private readonly Dictionary<string, string> _tangents = new();
    private readonly List<VarInfo> _locals = new();
    private readonly Dictionary<string, VarInfo> _variables;
    private readonly Dictionary<string, string> _zeros = new();

    private TangentProgram(DifferentiableMethod method, ActivityAnalysis activity)
    {
        _method = method;
        _activity = activity;
        _variables = method.Parameters.Concat(method.Locals).ToDictionary(v => v.Name);
        _names = new NameSet(_variables.Keys);
    }

    /// <summary>The tangent parameters' names, in order: one per differentiable parameter of <paramref name="method"/>.</summary>
    public static List<string> TangentNames(DifferentiableMethod method)
    {
        var names = new NameSet(method.Parameters.Concat(method.Locals).Select(v => v.Name));
        return method.Parameters.Where(p => p.Differentiable).Select(p => names.Fresh("t" + p.Name.TrimStart('@'))).ToList();
    }

    /// <summary>
    /// The directional derivative of <paramref name="method"/> as a method named <paramref name="name"/>: its parameters,
    /// then one tangent per differentiable parameter (a scalar, or a read-only span for an array; named as
    /// <see cref="TangentNames"/> says), differentiable when <paramref name="tangentsDifferentiable"/>; it returns the
    /// tangent of the result. <paramref name="activity"/> is the method's own.
    /// </summary>
    /// <param name="keepValue">Keep the primal's result too (the method's <see cref="DifferentiableMethod.ResultName"/>,
    /// a local of the program), for a VJP that gives the primal value beside the directional derivative.</param>
    public static DifferentiableMethod Build(DifferentiableMethod method, ActivityAnalysis activity, string name, bool tangentsDifferentiable, bool keepValue = false)
        => new TangentProgram(method, activity).Run(name, tangentsDifferentiable, keepValue);

    private DifferentiableMethod Run(string name, bool tangentsDifferentiable, bool keepValue)
    {
        var parameters = new List<VarInfo>(_method.Parameters);
        List<string> tangentNames = TangentNames(_method);
        foreach ((VarInfo parameter, string tangent) in _method.Parameters.Where(p => p.Differentiable).Zip(tangentNames, (p, n) => (p, n)))
        {
            _names.Reserve(tangent);
            _tangents[parameter.Name] = tangent;
            ShapeKind shape = parameter.Shape == ShapeKind.Scalar ? ShapeKind.Scalar : ShapeKind.ReadOnlySpan;
            parameters.Add(new VarInfo(tangent, parameter.Kind, shape, VarRole.Parameter, tangentsDifferentiable));
        }

        var body = new List<Stmt>();

        // A passive scalar parameter the body overwrites with an active value has a tangent from there on: zero before.
        foreach (VarInfo parameter in _method.Parameters.Where(p => !p.Differentiable && p.Shape == ShapeKind.Scalar && p.IsFloating && _activity.IsActive(p.Name)))
        {
            string tangent = NewLocal("t" + parameter.Name.TrimStart('@'), parameter.Kind, ShapeKind.Scalar, VarRole.Synthetic);
            _tangents[parameter.Name] = tangent;
            body.Add(new AssignStmt(parameter.Name, tangent, null, Zero(parameter.Kind), IsDeclaration: true));
        }

        foreach (VarInfo local in _method.Locals.Where(l => l.IsFloating && _activity.IsActive(l.Name)))
        {
            _tangents[local.Name] = NewLocal("t" + local.Name.TrimStart('@'), local.Kind, local.Shape, local.Role);
        }

        body.AddRange(Sequence(_method.Body));
        string result;
        if (_tangents.TryGetValue(_method.ResultName, out string? tangentResult))
        {
            result = tangentResult;
        }
        else
        {
            result = NewLocal("__tangent", _method.ReturnKind, ShapeKind.Scalar, VarRole.Synthetic);
            body.Add(new AssignStmt("return", result, null, Zero(_method.ReturnKind), IsDeclaration: true));
        }

        return _method with
        {
            Name = name,
            Parameters = parameters.ToEquatableArray(),
            Locals = _method.Locals.Concat(_locals).ToEquatableArray(),
            Body = PlaceZeros(WithoutDeadPrimal(body, result, keepValue ? _method.ResultName : null)).ToEquatableArray(),
            ResultName = result,
            SecondOrder = false,
        };
    }

    /// <summary>
    /// The body without the primal assignments nothing reads: only the tangent is returned, so a primal value is needed
    /// only where a tangent, a condition, an index, a length or another needed value reads it (the running sum of a
    /// reduction is not: its tangent reads the terms, never the sum). Flow-insensitive, to a fixpoint: a variable read
    /// anywhere by what is needed keeps every assignment to it.
    /// </summary>
    private List<Stmt> WithoutDeadPrimal(List<Stmt> body, string result, string? value)
    {
        var tangentNames = new HashSet<string>(_tangents.Values) { result };
        var needed = new HashSet<string> { result };
        if (value is not null)
        {
            needed.Add(value);
        }

        bool changed = true;
        while (changed)
        {
            int before = needed.Count;
            foreach ((Stmt statement, _) in ExprFacts.Flatten(body))
            {
                switch (statement)
                {
                    case AssignStmt a when tangentNames.Contains(a.Target) || needed.Contains(a.Target):
                        ExprFacts.CollectReads(a.Value, needed);
                        if (a.Index is not null)
                        {
                            ExprFacts.CollectReads(a.Index, needed);
                        }

                        break;
                    case ArrayDeclStmt d:
                        ExprFacts.CollectReads(d.Length, needed);
                        break;
                    case IfStmt i:
                        ExprFacts.CollectReads(i.Condition, needed);
                        break;
                    case LoopStmt l:
                        ExprFacts.CollectReads(l.Condition, needed);
                        break;
                    case GuardStmt g:
                        needed.UnionWith(g.Reads);
                        break;
                }
            }

            changed = needed.Count != before;
        }

        List<Stmt> Keep(IEnumerable<Stmt> statements) => statements
            .Where(st => st is not AssignStmt a || tangentNames.Contains(a.Target) || needed.Contains(a.Target))
            .Select(st => st switch
            {
                IfStmt i => i with { Then = Keep(i.Then).ToEquatableArray(), Else = Keep(i.Else).ToEquatableArray() },
                LoopStmt l => l with { Body = Keep(l.Body).ToEquatableArray(), Step = Keep(l.Step).ToEquatableArray() },
                _ => st,
            })
            .ToList();
        return Keep(body);
    }

    private string NewLocal(string stem, ScalarKind kind, ShapeKind shape, VarRole role)
    {
        var local = new VarInfo(_names.Fresh(stem), kind, shape, role, false);
        _locals.Add(local);
        _variables[local.Name] = local;
        return local.Name;
    }

    private static Expr Zero(ScalarKind kind) => Emit.Build.Lit(0, kind);

    private List<Stmt> Sequence(IEnumerable<Stmt> statements)
    {
        var output = new List<Stmt>();
        foreach (Stmt statement in statements)
        {
            switch (statement)
            {
                case AssignStmt assign:
                    Assign(assign, output);
                    break;
                case ArrayDeclStmt array:
                    output.Add(array);
                    if (_tangents.TryGetValue(array.Name, out string? tangentArray))
                    {
                        output.Add(array with { Name = tangentArray });
                    }

                    break;
                case IfStmt branch:
                    output.Add(branch with { Then = Sequence(branch.Then).ToEquatableArray(), Else = Sequence(branch.Else).ToEquatableArray() });
                    break;
                case LoopStmt loop:
                    output.Add(loop with { Body = Sequence(loop.Body).ToEquatableArray(), Step = Sequence(loop.Step).ToEquatableArray() });
                    break;
                case GuardStmt guard:
                    output.Add(guard);
                    break;
                default:
                    // The lowering removed break, continue and return.
                    throw new System.InvalidOperationException("unexpected " + statement.GetType().Name + " after the lowering");
            }
        }

        return output;
    }

    private void Assign(AssignStmt assign, List<Stmt> output)
    {
        if (!_tangents.TryGetValue(assign.Target, out string? tangentTarget))
        {
            output.Add(assign);
            return;
        }

        var scope = new Scope(assign.Comment, output, inline: false);
        ScalarKind kind = _variables[assign.Target].Kind;
        Expr tangent = (_activity.IsActive(assign.Value) ? Tangent(assign.Value, scope) : null) ?? Zero(kind);
        Expr value = scope.Known(assign.Value);
        output.Add(new AssignStmt(assign.Comment, tangentTarget, assign.Index, tangent, assign.IsDeclaration));
        output.Add(assign with { Value = value });
    }

    /// <summary>
    /// Values computed before the statement (in <see cref="Output"/>) and the nodes they hold. Inside a <c>?:</c> branch
    /// (<see cref="Inline"/>) nothing is computed ahead: only the branch taken may run, and a value of the other one
    /// (a logarithm of a negative number) would be NaN, which the reverse sweep would multiply by a zero adjoint.
    /// </summary>
    private sealed class Scope
    {
        private readonly Dictionary<Expr, Expr> _values;

        public Scope(string comment, List<Stmt> output, bool inline, Dictionary<Expr, Expr>? values = null)
        {
            Comment = comment;
            Output = output;
            Inline = inline;
            _values = values ?? new Dictionary<Expr, Expr>();
        }

        public string Comment { get; }

        public List<Stmt> Output { get; }

        public bool Inline { get; }

        public Scope InlineScope() => new(Comment, Output, inline: true, _values);

        public Expr? Lookup(Expr node) => _values.TryGetValue(node, out Expr? value) ? value : null;

        public void Remember(Expr node, Expr value) => _values[node] = value;

        /// <summary>The expression with every node already computed read from its local.</summary>
        public Expr Known(Expr expr) => Emit.Build.Substitute(expr, Lookup);
    }

    /// <summary>The tangent of an expression, or null when it is zero.</summary>
    private Expr? Tangent(Expr expr, Scope scope)
    {
        if (!_activity.IsActive(expr))
        {
            return null;
        }

        switch (expr)
        {
            case VarExpr v:
                return _tangents.TryGetValue(v.Name, out string? tv) ? Emit.Build.Var(v.Kind, tv) : null;
            case ElemExpr e:
                return _tangents.TryGetValue(e.Array, out string? te) ? new ElemExpr(e.Kind, te, e.Index) : null;
            // t(c ? a : b) = c ? ta : tb, inline so that only the branch taken runs
            case CondExpr c:
            {
                Scope inline = scope.InlineScope();
                Expr zero = Zero(c.Kind);
                Expr? whenTrue = Tangent(c.WhenTrue, inline);
                Expr? whenFalse = Tangent(c.WhenFalse, inline);
                return whenTrue is null && whenFalse is null ? null : new CondExpr(c.Kind, scope.Known(c.Condition), whenTrue ?? zero, whenFalse ?? zero);
            }

            case CallExpr call:
                return CallTangent(call, scope);

            default:
                return TangentRules.Of(expr, e => Tangent(e, scope), e => Value(e, scope), out _);
        }
    }

    // A call of a second-order [Differentiable] method: its directional derivative, itself a differentiable call.
    private Expr? CallTangent(CallExpr call, Scope scope)
    {
        if (call.Callee.Directional is null)
        {
            // The parser reported AD0114 for the call, and the method is a stub.
            throw new System.InvalidOperationException("the call to " + call.Callee.Display + " has no second derivatives");
        }

        var arguments = new List<Expr>();
        for (int i = 0; i < call.Args.Count; i++)
        {
            arguments.Add(call.Callee.Parameters[i].Shape == ShapeKind.Scalar ? Value(call.Args[i], scope) : call.Args[i]);
        }

        for (int i = 0; i < call.Args.Count; i++)
        {
            CalleeParam parameter = call.Callee.Parameters[i];
            if (parameter.Differentiable)
            {
                arguments.Add(parameter.Shape == ShapeKind.Scalar ? Tangent(call.Args[i], scope) ?? Zero(parameter.Kind) : ArrayTangent((VarExpr)call.Args[i], parameter.Kind));
            }
        }

        CalleeInfo callee = call.Callee.DirectionalCallee()!;
        var tangentCall = new CallExpr(call.Kind, callee, arguments.ToEquatableArray());
        return scope.Inline ? tangentCall : Hoist(tangentCall, scope);
    }

    // The tangent of an array argument: its tangent array, or for a passive one an array of zeros of its length,
    // created beside the array it stands for, where that is made (see PlaceZeros).
    private Expr ArrayTangent(VarExpr array, ScalarKind kind)
    {
        if (_tangents.TryGetValue(array.Name, out string? tangent))
        {
            return Emit.Build.Var(kind, tangent);
        }

        if (!_zeros.TryGetValue(array.Name, out string? zeros))
        {
            zeros = NewLocal("__zeros", kind, ShapeKind.Array, VarRole.Synthetic);
            _zeros[array.Name] = zeros;
        }

        return Emit.Build.Var(kind, zeros);
    }

    // The zero arrays right after the declaration of the local array they stand beside, or first for a parameter's.
    private List<Stmt> PlaceZeros(List<Stmt> body)
    {
        var output = new List<Stmt>();
        foreach (KeyValuePair<string, string> zeros in _zeros.Where(z => _method.Parameters.Any(p => p.Name == z.Key)))
        {
            output.Add(new ArrayDeclStmt(zeros.Key, zeros.Value, new LengthExpr(zeros.Key)));
        }

        output.AddRange(PlaceLocalZeros(body));
        return output;
    }

    // Beside each local array wherever it is made (in a loop or branch too: it is made again there).
    private List<Stmt> PlaceLocalZeros(IEnumerable<Stmt> body)
    {
        var output = new List<Stmt>();
        foreach (Stmt statement in body)
        {
            output.Add(statement switch
            {
                IfStmt branch => branch with { Then = PlaceLocalZeros(branch.Then).ToEquatableArray(), Else = PlaceLocalZeros(branch.Else).ToEquatableArray() },
                LoopStmt loop => loop with { Body = PlaceLocalZeros(loop.Body).ToEquatableArray() },
                _ => statement,
            });
            if (statement is ArrayDeclStmt declared && _zeros.TryGetValue(declared.Name, out string? zeros))
            {
                output.Add(new ArrayDeclStmt(declared.Comment, zeros, new LengthExpr(declared.Name)));
            }
        }

        return output;
    }

    /// <summary>
    /// The primal value of a node before the statement: leaves and passive nodes as they are; an active inner node
    /// computed once into a local of its own (the statement then reads it), unless inside a <c>?:</c> branch.
    /// </summary>
    private Expr Value(Expr node, Scope scope)
    {
        if (node is ConstExpr or VarExpr or ElemExpr or LengthExpr or OpaqueExpr || scope.Inline)
        {
            return scope.Known(node);
        }

        if (scope.Lookup(node) is { } known)
        {
            return known;
        }

        if (!_activity.IsActive(node) || node is CondExpr)
        {
            return scope.Known(node);
        }

        Expr value = Emit.Build.Substitute(node, n => ReferenceEquals(n, node) ? null : Value(n, scope));
        Expr local = Hoist(value, scope);
        scope.Remember(node, local);
        return local;
    }

    private Expr Hoist(Expr value, Scope scope)
    {
        string name = NewLocal("__v", value.Kind, ShapeKind.Scalar, VarRole.Synthetic);
        scope.Output.Add(new AssignStmt(scope.Comment, name, null, value, IsDeclaration: true));
        return Emit.Build.Var(value.Kind, name);
    }
}
