using Autodiff.Generator.Emit;
using Autodiff.Generator.Ir;
using Xunit;

namespace Autodiff.Generator.Tests;

/// <summary>
/// The accumulation pass on the derivative IR: signs carried to a product's first factor, terms joined, and which
/// adjoints are known zero across blocks: an adjoint zeroed before an <c>if</c> / <c>else</c> is still zero where each
/// branch starts, and nowhere else (the end-to-end values are checked in ConstructTests and the random programs;
/// these pin which update becomes an assignment).
/// </summary>
public class AccumulationMergerTests
{
    private const ScalarKind D = ScalarKind.Double;

    private static VarExpr V(string name) => new(D, name);

    private static ConstExpr C(string text) => new(D, text);

    private static Expr Mul(Expr a, Expr b) => new BinaryExpr(D, BinaryOp.Multiply, a, b);

    private static Expr Bool(string name) => new VarExpr(ScalarKind.Bool, name);

    private static Code Zero(string name) => new AssignCode(V(name), C("0.0"));

    private static Code Acc(string name, Expr term) => new AssignCode(V(name), term, Add: true);

    private static CodeBlock Block(params Code[] items) => new(items);

    private static string Merge(params Code[] items)
    {
        var text = new System.Text.StringBuilder();
        CodePrinter.WriteTo(AccumulationMerger.Merge(Block(items)), text, 0);
        return text.ToString();
    }

    public static TheoryData<string, string> Negations => new()
    {
        { "2.0 * (g * x)", "-2.0 * (g * x)" },
        { "g / (r * r)", "-g / (r * r)" },
        { "(double)g * x[i - 1]", "-(double)g * x[i - 1]" },
        { "a + b", "-(a + b)" },
        { "-a", "-(-a)" },
        { "c ? a : b", "-(c ? a : b)" },
        { "1E-05 * g", "-1E-05 * g" },
    };

    private static Expr Term(string text) => text switch
    {
        "2.0 * (g * x)" => Mul(C("2.0"), Mul(V("g"), V("x"))),
        "g / (r * r)" => new BinaryExpr(D, BinaryOp.Divide, V("g"), Mul(V("r"), V("r"))),
        "(double)g * x[i - 1]" => Mul(new ConvertExpr(D, new VarExpr(ScalarKind.Float, "g")), new ElemExpr(D, "x", new BinaryExpr(ScalarKind.Int, BinaryOp.Subtract, new VarExpr(ScalarKind.Int, "i"), new ConstExpr(ScalarKind.Int, "1")))),
        "a + b" => new BinaryExpr(D, BinaryOp.Add, V("a"), V("b")),
        "-a" => new UnaryExpr(D, UnaryOp.Negate, V("a")),
        "c ? a : b" => new CondExpr(D, Bool("c"), V("a"), V("b")),
        "1E-05 * g" => Mul(C("1E-05"), V("g")),
        _ => V(text),
    };

    [Theory]
    [MemberData(nameof(Negations))]
    public void ANegatedTerm_TakesTheMinusOnAProductsFirstFactor_AndIsExactlyTheNegation(string term, string negated)
    {
        Assert.Equal(term, ExprPrinter.Print(Term(term)));
        Assert.Equal(negated, ExprPrinter.Print(AccumulationMerger.Negate(Term(term))));
    }

    [Fact]
    public void SignedTerms_AreSubtracted_AndAFreeSignGoesFirst()
    {
        Expr Neg(Expr e) => AccumulationMerger.Negate(e);
        string Join(params Expr[] terms) => ExprPrinter.Print(AccumulationMerger.JoinTerms(terms));
        Assert.Equal("-2.0 * (__g6 * x) - __g3", Join(Neg(V("__g3")), Neg(Mul(C("2.0"), Mul(V("__g6"), V("x"))))));
        Assert.Equal("a - g + b", Join(Neg(V("g")), V("a"), V("b")));
        Assert.Equal("-g - h", Join(Neg(V("g")), Neg(V("h"))));
        Assert.Equal("a - (b + c) - d * e", Join(V("a"), Neg(new BinaryExpr(D, BinaryOp.Add, V("b"), V("c"))), Neg(Mul(V("d"), V("e")))));
        Assert.Equal("-2.0 * g - h", Join(Neg(Mul(C("2.0"), V("g"))), Neg(V("h"))));
    }

    [Fact]
    public void UpdatesOfOneTarget_AreSummedOnce_BeforeTheFirstReadOfIt()
    {
        string merged = Merge(
            Acc("dx", V("a")),
            Acc("dy", V("b")),
            Acc("dx", V("c")),
            new DeclareCode("double", "__g1", V("dx")));
        Assert.Equal("dx += a + c;\ndouble __g1 = dx;\ndy += b;\n", merged);
    }

    [Fact]
    public void EachBranchOfAnIf_StartsFromWhatWasZeroAtTheIf()
    {
        string merged = Merge(
            Zero("dv"),
            new IfCode(Bool("negative"),
                Block(Acc("dv", Mul(C("2.0"), V("g")))),
                Block(new IfCode(Bool("small"), Block(Acc("dv", Mul(V("g"), V("v")))), Block(Acc("dv", V("g")))))),
            new AssignCode(new ElemExpr(D, "dx", new VarExpr(ScalarKind.Int, "i")), V("dv")));
        Assert.Contains("\n    dv = 2.0 * g;", merged);
        Assert.Contains("else if (small)\n{\n    dv = g * v;", merged); // an else that is only an if prints as else if
        Assert.Contains("\n    dv = g;", merged);
        Assert.DoesNotContain("dv +=", merged);
    }

    [Fact]
    public void ALoopBody_AndTheCodeAfterABlock_KnowNothingZero()
    {
        string merged = Merge(
            Zero("dv"),
            new WhileCode(Bool("more"), Block(Acc("dv", V("g")), new AssignCode(V("k"), V("next"))), TestAtEnd: false),
            Zero("dw"),
            new IfCode(Bool("c"), Block(Acc("dw", V("g"))), new CodeBlock()),
            Acc("dw", V("h")));
        Assert.Contains("    dv += g;", merged);   // runs again after its own update
        Assert.Contains("    dw = g;", merged);    // the branch: zero at the if
        Assert.Contains("\ndw += h;", merged);     // after the if: the branch may have run
    }

    [Fact]
    public void AnUpdateInABranch_IsSeenByTheIfNestedAfterIt_AndTheElseStartsFromTheOuterIf()
    {
        string merged = Merge(
            Zero("dv"),
            new IfCode(Bool("a"),
                Block(Acc("dv", V("g")), new IfCode(Bool("b"), Block(Acc("dv", V("h"))), new CodeBlock())),
                Block(Acc("dv", V("k")))));
        Assert.Contains("    dv = g;", merged);
        Assert.Contains("        dv += h;", merged);
        Assert.Contains("    dv = k;", merged);
    }

    [Fact]
    public void AStatementThatWritesTheAdjoint_OrTextTheIrDoesNotKnow_EndsWhatIsKnown()
    {
        string merged = Merge(
            Zero("dv"),
            new CallCode(new InvokeExpr(D, "F", new Autodiff.Generator.Helpers.EquatableArray<Expr>(new Expr[] { new OutExpr(D, "dv", Declare: false) }))),
            Acc("dv", V("g")),
            Zero("dw"),
            new TextCode("Console.WriteLine();"),
            Acc("dw", V("g")));
        Assert.Contains("\ndv += g;", merged);
        Assert.Contains("\ndw += g;", merged);
    }

    [Fact]
    public void AZeroOverwrittenBeforeAnyRead_IsDropped()
    {
        string merged = Merge(Zero("dx"), Acc("dy", V("a")), new AssignCode(V("dx"), V("b")));
        Assert.Equal("dx = b;\ndy += a;\n", merged);
    }
}
