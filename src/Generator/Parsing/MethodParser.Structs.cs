using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Autodiff.Generator.Parsing;

// User structs of reals (StructShape): in the IR a struct value is one scalar variable per field, nested structs' fields
// in turn. Fields and auto-properties are those variables; constructors, operators, instance methods and computed
// properties are inlined where they are used, `this` bound to the value they are called on; a struct parameter of the
// method is one parameter per field, and its public derivatives take and give the struct (FlatWrappers).
internal sealed partial class MethodParser
{
    /// <summary>A struct value of the IR: per member of its shape, a scalar variable or a nested value.</summary>
    private sealed class StructValue
    {
        public StructValue(StructShape shape, object[] members)
        {
            Shape = shape;
            Members = members;
        }

        public StructShape Shape { get; }

        /// <summary><see cref="VarInfo"/> or <see cref="StructValue"/>, per member of <see cref="Shape"/>.</summary>
        public object[] Members { get; }

        public IEnumerable<VarInfo> Leaves()
            => Members.SelectMany(m => m is StructValue nested ? nested.Leaves() : new[] { (VarInfo)m });

        /// <summary>The member a field (or an auto-property's backing field) is, or null.</summary>
        public object? Member(ISymbol symbol)
        {
            for (int i = 0; i < Shape.Members.Count; i++)
            {
                if (Shape.Members[i].Is(symbol))
                {
                    return Members[i];
                }
            }

            return null;
        }
    }

    // Struct locals and parameters (and an inlined helper's struct parameters).
    private readonly Dictionary<ISymbol, StructValue> _structs = new(SymbolEqualityComparer.Default);

    // The value `this` is in the struct member being inlined, and where a struct-returning helper's returns go.
    private StructValue? _self;
    private StructValue? _structResult;

    // The method's own struct parameters, in order: what BuildModel lists instead of them.
    private readonly Dictionary<IParameterSymbol, StructValue> _structParameters = new(SymbolEqualityComparer.Default);

    /// <summary>A struct value of fresh variables named after <paramref name="stem"/> and the members.</summary>
    private StructValue NewStruct(StructShape shape, string stem, VarRole role, bool differentiable)
    {
        var members = new object[shape.Members.Count];
        for (int i = 0; i < members.Length; i++)
        {
            StructMember member = shape.Members[i];
            string name = stem + char.ToUpperInvariant(member.Name[0]) + member.Name.Substring(1);
            if (member.Nested is { } nested)
            {
                members[i] = NewStruct(nested, name, role, differentiable);
                continue;
            }

            var leaf = new VarInfo(_names.Fresh(name), member.Kind, ShapeKind.Scalar, role, differentiable && TypeClassifier.IsFloating(member.Kind));
            if (role != VarRole.Parameter)
            {
                _locals.Add(leaf);
            }

            members[i] = leaf;
        }

        return new StructValue(shape, members);
    }

    /// <summary>Each struct parameter becomes one parameter per field (named after all the user's parameters).</summary>
    private void DeclareStructParameters()
    {
        foreach (IParameterSymbol parameter in _method.Parameters)
        {
            if (StructShape.Of(parameter.Type) is { } shape)
            {
                bool differentiable = !TypeClassifier.HasAttribute(parameter, WellKnownNames.NoDerivativeAttribute);
                StructValue value = NewStruct(shape, parameter.Name.TrimStart('@'), VarRole.Parameter, differentiable);
                _structs[parameter] = value;
                _structParameters[parameter] = value;
            }
        }
    }

    private void CopyStruct(StructValue from, StructValue to, string comment, List<Stmt> output, bool declaration)
    {
        if (ReferenceEquals(from, to))
        {
            return;
        }

        foreach ((VarInfo source, VarInfo target) in from.Leaves().Zip(to.Leaves(), (s, t) => (s, t)))
        {
            output.Add(new AssignStmt(comment, target.Name, null, new VarExpr(source.Kind, source.Name), declaration));
        }
    }

    private static void ZeroStruct(StructValue value, string comment, List<Stmt> output)
    {
        foreach (VarInfo leaf in value.Leaves())
        {
            output.Add(new AssignStmt(comment, leaf.Name, null, new ConstExpr(leaf.Kind, Literal.Of(0, leaf.Kind)), IsDeclaration: true));
        }
    }

    /// <summary>
    /// The struct value an expression names or makes: a variable, <c>this</c>, a member of one, or, written to
    /// <paramref name="output"/> (or the statement's <see cref="_before"/>), a new value: a constructor call, <c>default</c>,
    /// a call of an operator, method or helper that returns the struct, or a <c>?:</c>. <paramref name="fresh"/>: made
    /// here, nothing else names it.
    /// </summary>
    private StructValue? ParseStruct(IOperation operation, List<Stmt>? output, out bool fresh)
    {
        fresh = false;
        if (operation is IConversionOperation { OperatorMethod: { } conversionOperator } conversion && StructShape.Of(conversion.Type) is { IsLibrary: true } converted)
        {
            // Complex z = 2.0: the library's implicit conversion.
            fresh = true;
            if ((output ?? _before) is { } conversionSink)
            {
                return LibraryVector(conversionOperator, null, new[] { conversion.Operand }, operation, converted, conversionSink);
            }

            Unsupported(operation, "struct values made inside a branch or a condition", "make the value in a statement of its own, var v = ...;, and use v");
            return null;
        }

        operation = Unconverted(operation);
        switch (operation)
        {
            case ILocalReferenceOperation or IParameterReferenceOperation when SymbolOf(operation) is { } symbol && _structs.TryGetValue(symbol, out StructValue? variable):
                return variable;
            case IInstanceReferenceOperation when _self is not null:
                return _self;
            case IArrayElementReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation when ElementPathOf(operation) is { Shape: { } } elementPath:
                // ps[i] (or ps[i].Position) as a value: its fields loaded into fresh variables.
                if ((output ?? _before) is not { } elementSink)
                {
                    Unsupported(operation, "struct elements read as a whole inside a branch or a condition", "read the element in a statement of its own, var p = ps[i];, and use p");
                    return null;
                }

                fresh = true;
                return LoadElement(elementPath, CommentOf(operation.Syntax), elementSink);
            case ILocalReferenceOperation { Local: var reported } when _reported.Contains(reported):
                // Already reported where it was declared: no second diagnostic at each use.
                return null;
            case IFieldReferenceOperation { Field.IsStatic: false, Instance: { } owner } field when ParseStruct(owner, output, out _) is { } outer:
                return outer.Member(field.Field) as StructValue;
            case IPropertyReferenceOperation { Property.IsStatic: false, Instance: { } owner } property when ParseStruct(owner, output, out _) is { } outer && outer.Member(property.Property) is StructValue member:
                return member;
        }

        if (StructShape.Of(operation.Type) is not { } shape)
        {
            return null;
        }

        List<Stmt>? sink = output ?? _before;
        if (sink is null)
        {
            Unsupported(operation, "struct values made inside a branch or a condition", "make the value in a statement of its own, var v = ...;, and use v");
            return null;
        }

        string comment = CommentOf(operation.Syntax);
        fresh = true;
        switch (operation)
        {
            case IPropertyReferenceOperation { Property: { IsStatic: true } constant } when shape.IsLibrary:
                return LibraryConstant(constant, shape, operation, sink);

            case IFieldReferenceOperation { Field: { IsStatic: true } constantField } when shape.IsLibrary:
                return LibraryConstant(constantField, shape, operation, sink);

            case IObjectCreationOperation { Constructor: { } libraryConstructor } libraryCreation when shape.IsLibrary && libraryCreation.Arguments.Length > 0:
                return LibraryVector(libraryConstructor, null, Arguments(libraryCreation.Arguments), operation, shape, sink);

            case IDefaultValueOperation:
            case IObjectCreationOperation { Constructor.Parameters.Length: 0, Initializer: null } when !HasSourceBody(((IObjectCreationOperation)operation).Constructor):
            {
                StructValue zero = NewStruct(shape, "__" + char.ToLowerInvariant(shape.Type.Name[0]) + shape.Type.Name.Substring(1), VarRole.Local, false);
                ZeroStruct(zero, comment, sink);
                return zero;
            }

            case IObjectCreationOperation creation:
                return Construct(shape, creation, comment, sink);

            case IInvocationOperation invocation:
                return InlineStruct(invocation.TargetMethod, invocation.Instance, Arguments(invocation.Arguments), operation, shape, sink);

            case IBinaryOperation { OperatorMethod: { } binary } b:
                return InlineStruct(binary, null, new[] { b.LeftOperand, b.RightOperand }, operation, shape, sink);

            case IUnaryOperation { OperatorMethod: { } unary } u:
                return InlineStruct(unary, null, new[] { u.Operand }, operation, shape, sink);

            case IWithOperation with:
            {
                // p with { Mass = 2 }: a copy, then the initializer's assignments on it.
                if (ParseStruct(with.Operand, sink, out _) is not { } original)
                {
                    return null;
                }

                StructValue copy = NewStruct(shape, "__with", VarRole.Local, false);
                CopyStruct(original, copy, comment, sink, declaration: true);
                StructValue? outer = _self;
                _self = copy;
                try
                {
                    foreach (IOperation initialization in with.Initializer.Initializers)
                    {
                        ParseExpressionStatement(initialization, comment, sink);
                    }
                }
                finally
                {
                    _self = outer;
                }

                return copy;
            }

            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
            {
                if (ParseValue(conditional.Condition, ScalarKind.Bool) is not { } condition
                    || ParseStruct(conditional.WhenTrue, sink, out _) is not { } a || ParseStruct(whenFalse, sink, out _) is not { } b)
                {
                    return null;
                }

                StructValue chosen = NewStruct(shape, "__chosen", VarRole.Local, false);
                foreach ((VarInfo target, (VarInfo left, VarInfo right)) in chosen.Leaves().Zip(a.Leaves().Zip(b.Leaves(), (l, r) => (l, r)), (t, lr) => (t, lr)))
                {
                    sink.Add(new AssignStmt(comment, target.Name, null, new CondExpr(target.Kind, condition, new VarExpr(left.Kind, left.Name), new VarExpr(right.Kind, right.Name)), IsDeclaration: true));
                }

                return chosen;
            }
        }

        fresh = false;
        Unsupported(operation, "struct values of this kind", "use a struct variable, a constructor call, or a call of a method that returns the struct");
        return null;
    }

    private static IOperation[] Arguments(IEnumerable<IArgumentOperation> arguments)
        => arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0).Select(a => a.Value).ToArray();

    private static bool HasSourceBody(IMethodSymbol? method)
        => method is not null && method.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null });

    // new S(...) { Member = ... }: zeroed, the constructor inlined on it (or a record struct's primary constructor's
    // parameters copied to its properties), then the initializer's assignments.
    private StructValue? Construct(StructShape shape, IObjectCreationOperation creation, string comment, List<Stmt> output)
    {
        StructValue value = NewStruct(shape, "__" + char.ToLowerInvariant(shape.Type.Name[0]) + shape.Type.Name.Substring(1), VarRole.Local, false);
        ZeroStruct(value, comment, output);
        IMethodSymbol? constructor = creation.Constructor;
        if (constructor is not null && (constructor.Parameters.Length > 0 || HasSourceBody(constructor)))
        {
            if (HasSourceBody(constructor))
            {
                if (InlineCall(constructor, Arguments(creation.Arguments), creation, comment, output, result: null, self: value) is null)
                {
                    return null;
                }
            }
            else if (constructor.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is RecordDeclarationSyntax)
            {
                // record struct P(double X, double Y): each parameter sets the property of its name.
                IOperation[] arguments = Arguments(creation.Arguments);
                for (int i = 0; i < constructor.Parameters.Length; i++)
                {
                    if (value.Member(shape.Type.GetMembers(constructor.Parameters[i].Name).FirstOrDefault() ?? constructor.Parameters[i]) is VarInfo leaf)
                    {
                        if (ParseWithBefore(arguments[i], leaf.Kind, output) is not { } argument)
                        {
                            return null;
                        }

                        output.Add(new AssignStmt(comment, leaf.Name, null, argument, IsDeclaration: false));
                    }
                    else if (value.Member(shape.Type.GetMembers(constructor.Parameters[i].Name).FirstOrDefault() ?? constructor.Parameters[i]) is StructValue nested)
                    {
                        if (ParseStruct(arguments[i], output, out _) is not { } argument)
                        {
                            return null;
                        }

                        CopyStruct(argument, nested, comment, output, declaration: false);
                    }
                }
            }
            else
            {
                Unsupported(creation, "constructors without a body in this project", "construct the struct with a constructor written in source, or set its members");
                return null;
            }
        }

        if (creation.Initializer is { } initializer)
        {
            StructValue? outer = _self;
            _self = value;
            try
            {
                foreach (IOperation initialization in initializer.Initializers)
                {
                    ParseExpressionStatement(initialization, comment, output);
                }
            }
            finally
            {
                _self = outer;
            }
        }

        return value;
    }

    /// <summary>
    /// A call that returns a struct (a method or operator of the struct, or a <c>[Differentiable]</c> helper): its body
    /// inlined, the value it returns in a fresh struct value.
    /// </summary>
    private StructValue? InlineStruct(IMethodSymbol target, IOperation? instance, IOperation[] arguments, IOperation call, StructShape shape, List<Stmt> output)
    {
        StructValue? self = null;
        if (instance is not null && !target.IsStatic && (self = ParseStruct(instance, output, out _)) is null)
        {
            return null;
        }

        if (StructShape.Of(target.ContainingType) is { IsLibrary: true })
        {
            return LibraryVector(target, instance, instance is null || target.IsStatic ? arguments : new[] { instance }.Concat(arguments).ToArray(), call, shape, output);
        }

        StructValue result = NewStruct(shape, "__" + new string(target.Name.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant(), VarRole.Local, false);
        ZeroStruct(result, CommentOf(call.Syntax), output);
        return InlineCall(target, arguments, call, CommentOf(call.Syntax), output, result: null, self: self, structResult: result) is null ? null : result;
    }

    /// <summary>A scalar-valued call of a struct's method or operator, or of a helper over structs: inlined before the statement.</summary>
    /// <remarks><paramref name="parsed"/>: the instance's value when the caller has it already (parsing it again would
    /// inline what makes it a second time).</remarks>
    private Expr? InlineScalar(IMethodSymbol target, IOperation? instance, IOperation[] arguments, IOperation call, ScalarKind kind, StructValue? parsed = null)
    {
        if (_before is not { } before)
        {
            return Unsupported(call, "calls of struct methods and operators inside a branch or a condition",
                "call it in a statement of its own, double t = ...;, and use t");
        }

        if (StructShape.Of(target.ContainingType) is { IsLibrary: true })
        {
            return LibraryScalar(target, instance, arguments, call, before, parsed) is { } libraryValue ? ConvertTo(libraryValue, kind) : null;
        }

        StructValue? self = parsed;
        if (self is null && instance is not null && !target.IsStatic && (self = ParseStruct(instance, before, out _)) is null)
        {
            return null;
        }

        return InlineCall(target, arguments, call, CommentOf(call.Syntax), before, kind, self) is { } returned ? new VarExpr(kind, returned) : null;
    }

    /// <summary>Whether a method is inlined as part of a struct: any member of a flattened struct, or a helper over structs.</summary>
    private static bool IsStructCode(IMethodSymbol method)
        => StructShape.Of(method.ContainingType) is not null
            || (TypeClassifier.HasAttribute(method, WellKnownNames.DifferentiableAttribute)
                && (StructShape.Of(method.ReturnType) is not null || method.Parameters.Any(p => StructShape.Of(p.Type) is not null)));

    /// <summary>A scalar member of a struct value: a field or auto-property, or a computed property (its getter inlined).</summary>
    private Expr? ParseStructMember(IOperation operation, out bool handled)
    {
        handled = false;
        if (ElementPathOf(operation) is { Shape: null } leafPath)
        {
            // ps[i].X: the element's field, read in place.
            handled = true;
            return new ElemExpr(leafPath.Kind, leafPath.Array.Name, leafPath.At(0));
        }

        (ISymbol member, IOperation? owner) = operation switch
        {
            IFieldReferenceOperation { Field.IsStatic: false } f => ((ISymbol)f.Field, f.Instance),
            IPropertyReferenceOperation { Property.IsStatic: false, Property.IsIndexer: false } p => (p.Property, p.Instance),
            _ => (null!, null),
        };
        if (owner is null || StructShape.Of(owner.Type) is null)
        {
            return null;
        }

        handled = true;
        if (ParseStruct(owner, null, out _) is not { } value)
        {
            return null;
        }

        if (value.Member(member) is VarInfo leaf)
        {
            return new VarExpr(leaf.Kind, leaf.Name);
        }

        if (member is IPropertySymbol { GetMethod: { } getter } property && TypeClassifier.TryScalar(property.Type, out ScalarKind kind))
        {
            return InlineScalar(getter, owner, System.Array.Empty<IOperation>(), operation, kind, value);
        }

        return Unsupported(operation, "this member of a struct", "read a field or property of double, float, int, long or bool");
    }

    /// <summary>The variable a struct member assignment writes (<c>p.X = ...</c>), or null when the target is not one.</summary>
    private VarInfo? StructLeafTarget(IOperation target)
    {
        (ISymbol? member, IOperation? owner) = target switch
        {
            IFieldReferenceOperation { Field.IsStatic: false } f => ((ISymbol)f.Field, f.Instance),
            IPropertyReferenceOperation { Property.IsStatic: false } p => (p.Property, p.Instance),
            _ => (null, null),
        };
        return owner is not null && member is not null && StructShape.Of(owner.Type) is not null && ParseStruct(owner, null, out _) is { } value
            ? value.Member(member) as VarInfo
            : null;
    }

    /// <summary><c>Vec3 p = ...;</c>: a new struct local, the value's variables taken over when it was made for it.</summary>
    private void DeclareStructLocal(ILocalSymbol local, StructShape shape, IOperation? value, string comment, List<Stmt> output)
    {
        if (value is null)
        {
            StructValue zero = NewStruct(shape, local.Name, VarRole.Local, false);
            ZeroStruct(zero, comment, output);
            _structs[local] = zero;
            return;
        }

        if (ParseStruct(value, output, out bool fresh) is not { } parsed)
        {
            _reported.Add(local);
            return;
        }

        if (fresh)
        {
            _structs[local] = parsed;
            return;
        }

        StructValue copy = NewStruct(shape, local.Name, VarRole.Local, false);
        CopyStruct(parsed, copy, comment, output, declaration: true);
        _structs[local] = copy;
    }

    /// <summary><c>p = q;</c>, <c>p.A = q;</c>, <c>p += q;</c> for struct targets: the value, then a copy into the target.</summary>
    private bool ParseStructAssignment(IOperation operation, string comment, List<Stmt> output)
    {
        (IOperation? target, IOperation? value, IMethodSymbol? op) = operation switch
        {
            ISimpleAssignmentOperation s => (s.Target, s.Value, null),
            ICompoundAssignmentOperation { OperatorMethod: { } method } c => (c.Target, c.Value, method),
            _ => (null, null, null),
        };
        if (target is null || value is null || StructShape.Of(target.Type) is not { } shape)
        {
            return false;
        }

        if (ElementPathOf(target) is { Shape: { } } element)
        {
            // ps[i] = v, ps[i] += v: the value, then its fields into the element's.
            if (WritesParameter(element))
            {
                Report(Diagnostics.DiagnosticDescriptors.SideEffectWrite, target.Syntax.GetLocation(), comment, "the parameter '" + element.Array.Name + "'");
                return true;
            }

            StructValue? stored = op is null
                ? ParseStruct(value, output, out _)
                : InlineStruct(op, null, new[] { target, value }, operation, shape, output);
            if (stored is not null)
            {
                StoreElement(element, stored, comment, output);
            }

            return true;
        }

        if (ParseStruct(target, output, out _) is not { } destination)
        {
            return true;
        }

        StructValue? source = op is null
            ? ParseStruct(value, output, out _)
            : InlineStruct(op, null, new[] { target, value }, operation, shape, output);
        if (source is not null)
        {
            CopyStruct(source, destination, comment, output, declaration: false);
        }

        return true;
    }
}
