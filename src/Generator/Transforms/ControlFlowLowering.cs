using System;
using System.Collections.Generic;
using System.Linq;
using Autodiff.Generator.Analysis;
using Autodiff.Generator.Helpers;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Transforms;

/// <summary>
/// Removes <c>break</c>, <c>continue</c> and <c>return</c> so that both sweeps see only structured code
/// (assignments, if, loops). A jump sets a flag; the statements after it are guarded by the flag and loop
/// conditions test it. A <c>return</c> in tail position (nothing runs after it) is a plain assignment to the
/// result, so straight-line functions get no flags at all.
/// </summary>
internal sealed class ControlFlowLowering
{
    private readonly string _result;
    private readonly Func<string, ScalarKind, string> _newVariable;
    private string? _done;

    public ControlFlowLowering(string result, Func<string, ScalarKind, string> newVariable)
    {
        _result = result;
        _newVariable = newVariable;
    }

    [Flags]
    private enum Jump
    {
        None = 0,
        Break = 1,
        Continue = 2,
        Return = 4,
    }

    /// <summary>Flags of the innermost loop, made on first use.</summary>
    private sealed class LoopFlags
    {
        public string? Break { get; set; }

        public string? Continue { get; set; }
    }

    public List<Stmt> Lower(IReadOnlyList<Stmt> body) => LowerSequence(body, loop: null, tail: true);

    /// <summary>
    /// An inlined helper's body, which may run many times (in a loop of its caller): its return flag, when it has one,
    /// is cleared at the start, where a method's starts cleared once.
    /// </summary>
    public List<Stmt> LowerInlined(IReadOnlyList<Stmt> body)
    {
        List<Stmt> lowered = Lower(body);
        if (_done is { } done)
        {
            lowered.Insert(0, SetFlag(string.Empty, done, false));
        }

        return lowered;
    }

    private List<Stmt> LowerSequence(IReadOnlyList<Stmt> sequence, LoopFlags? loop, bool tail)
    {
        var output = new List<Stmt>();
        for (int i = 0; i < sequence.Count; i++)
        {
            Stmt statement = sequence[i];
            bool last = i == sequence.Count - 1;
            output.AddRange(LowerStatement(statement, loop, tail && last));
            if (statement is BreakStmt or ContinueStmt or ReturnStmt)
            {
                break; // the rest of this sequence is unreachable
            }

            Jump jumps = JumpsOutOf(statement);
            if (jumps != Jump.None && !last)
            {
                List<Stmt> rest = LowerSequence(sequence.Skip(i + 1).ToList(), loop, tail);
                if (rest.Count > 0)
                {
                    output.Add(new IfStmt("rest of the block, unless a jump above was taken", NoneSet(jumps, loop), rest.ToEquatableArray(), EquatableArray<Stmt>.Empty));
                }

                break;
            }
        }

        return output;
    }

    private IEnumerable<Stmt> LowerStatement(Stmt statement, LoopFlags? loop, bool tail)
    {
        switch (statement)
        {
            case BreakStmt b:
                loop!.Break ??= _newVariable("__break", ScalarKind.Bool);
                return new[] { SetFlag(b.Comment, loop.Break, true) };

            case ContinueStmt c:
                loop!.Continue ??= _newVariable("__continue", ScalarKind.Bool);
                return new[] { SetFlag(c.Comment, loop.Continue, true) };

            case ReturnStmt r when tail:
                return new[] { new AssignStmt(r.Comment, _result, null, r.Value, IsDeclaration: false) };

            case ReturnStmt r:
                _done ??= _newVariable("__returned", ScalarKind.Bool);
                return new Stmt[] { new AssignStmt(r.Comment, _result, null, r.Value, IsDeclaration: false), SetFlag(r.Comment, _done, true) };

            case IfStmt s:
                return new[] { s with { Then = LowerSequence(s.Then, loop, tail).ToEquatableArray(), Else = LowerSequence(s.Else, loop, tail).ToEquatableArray() } };

            case LoopStmt s:
                return LowerLoop(s);

            default:
                return new[] { statement };
        }
    }

    private IEnumerable<Stmt> LowerLoop(LoopStmt loop)
    {
        var flags = new LoopFlags();
        List<Stmt> body = LowerSequence(loop.Body, flags, tail: false);
        List<Stmt> step = LowerSequence(loop.Step, flags, tail: false);
        bool returns = (JumpsOutOfLoopBody(loop.Body) & Jump.Return) != 0;

        // continue: reset each iteration; the step still runs after it.
        if (flags.Continue is { } cont)
        {
            body.Insert(0, SetFlag(loop.Comment, cont, false));
        }

        // break / return: the step and the next test are skipped.
        Jump stop = (flags.Break is null ? Jump.None : Jump.Break) | (returns ? Jump.Return : Jump.None);
        if (stop != Jump.None && step.Count > 0)
        {
            step = new List<Stmt> { new IfStmt(loop.Comment, NoneSet(stop, flags), step.ToEquatableArray(), EquatableArray<Stmt>.Empty) };
        }

        Expr condition = stop == Jump.None ? loop.Condition : And(NoneSet(stop, flags), loop.Condition);
        var output = new List<Stmt>();
        if (flags.Break is { } brk)
        {
            output.Add(SetFlag(loop.Comment, brk, false));
        }

        output.Add(loop with { Condition = condition, Body = body.ToEquatableArray(), Step = step.ToEquatableArray() });
        return output;
    }

    // Jumps that leave a statement (break/continue of an enclosing loop, return).
    private static Jump JumpsOutOf(Stmt statement) => statement switch
    {
        BreakStmt => Jump.Break,
        ContinueStmt => Jump.Continue,
        ReturnStmt => Jump.Return,
        IfStmt s => s.Then.Concat(s.Else).Aggregate(Jump.None, (j, x) => j | JumpsOutOf(x)),
        LoopStmt s => JumpsOutOfLoopBody(s.Body) & Jump.Return,
        _ => Jump.None,
    };

    private static Jump JumpsOutOfLoopBody(IEnumerable<Stmt> body) => body.Aggregate(Jump.None, (j, x) => j | JumpsOutOf(x));

    // !flag1 && !flag2 ... for the flags that the given jumps set.
    private Expr NoneSet(Jump jumps, LoopFlags? loop)
    {
        var flags = new List<string>();
        if ((jumps & Jump.Break) != 0 && loop?.Break is { } b)
        {
            flags.Add(b);
        }

        if ((jumps & Jump.Continue) != 0 && loop?.Continue is { } c)
        {
            flags.Add(c);
        }

        if ((jumps & Jump.Return) != 0 && _done is { } d)
        {
            flags.Add(d);
        }

        Expr? condition = null;
        foreach (string flag in flags)
        {
            Expr notSet = new UnaryExpr(ScalarKind.Bool, UnaryOp.Not, new VarExpr(ScalarKind.Bool, flag));
            condition = condition is null ? notSet : And(condition, notSet);
        }

        return condition ?? new ConstExpr(ScalarKind.Bool, "true");
    }

    private static Expr And(Expr left, Expr right) => new BinaryExpr(ScalarKind.Bool, BinaryOp.ConditionalAnd, left, right);

    private static AssignStmt SetFlag(string comment, string flag, bool value)
        => new(comment, flag, null, new ConstExpr(ScalarKind.Bool, value ? "true" : "false"), IsDeclaration: false);
}
