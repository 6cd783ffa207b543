using SecondOrder;

// Second-order methods with generated derivatives: Newton's method with FHessian against gradient descent and Adam
// (Rosenbrock, logistic regression), and Levenberg-Marquardt with FJacobian for a curve fit. Prints iterations and
// time to f - f* < 1e-10 and writes a PNG of the convergence curves per problem; then Hessian-free training (conjugate
// gradients on the model's generated LossHvp) of the Digits classifier against Adam.
string output = args.Length > 0 ? args[0] : Path.Combine("out", "second-order");
try
{
    Directory.CreateDirectory(output);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot create the output folder '{output}': {e.Message}");
    return 1;
}

const int budget = 100_000;

// Once to compile every method (the times below would otherwise include the JIT), then measured.
Experiments.Rosenbrock(budget);
Experiments.Logistic(budget);
Experiments.CurveFit(budget);
List<Trace> rosenbrock = Experiments.Rosenbrock(budget);
List<Trace> logistic = Experiments.Logistic(budget);
(List<Trace> fit, double[] parameters) = Experiments.CurveFit(budget);
Experiments.Print("Rosenbrock from (-1.2, 1), f* = 0:", rosenbrock, Console.Out);
Experiments.Print("Logistic regression, 500 points x 10 features, λ = 1e-3:", logistic, Console.Out);
Experiments.Print($"Curve fit a e^(-k t) + c, 100 points (a = {parameters[0]:F4}, k = {parameters[1]:F4}, c = {parameters[2]:F4}):", fit, Console.Out);

// Nested differentiation: the step size of gradient descent, tuned with the gradient of the loss after the steps.
Experiments.StepSize tuned = Experiments.TuneStepSize(200);
Console.WriteLine($"Step size of {tuned.Steps} gradient-descent steps on Rosenbrock, by differentiating through the steps:");
Console.WriteLine(FormattableString.Invariant($"  start   η = {tuned.StartRate:E2}  f after the steps = {tuned.StartLoss:E3}"));
Console.WriteLine(FormattableString.Invariant($"  tuned   η = {tuned.Rate:E2}  f after the steps = {tuned.Loss:E3}  ({tuned.Evaluations} evaluations)"));
Console.WriteLine(FormattableString.Invariant($"  grid    η = {tuned.GridRate:E2}  f after the steps = {tuned.GridLoss:E3}  (best of 60)"));
Console.WriteLine();

// Hessian-free training of the Digits classifier with the model's generated LossHvp, against Adam for as long.
HessianFree.Compare(steps: 2, seconds: 60);
(TrainingTrace hessianFree, TrainingTrace adam) = HessianFree.Compare(steps: 1000, seconds: 10);
HessianFree.Print(new[] { hessianFree, adam }, Console.Out);
try
{
    HessianFree.Draw(new[] { hessianFree, adam }, Path.Combine(output, "hessian-free.png"));
    Console.WriteLine($"picture: {Path.GetFullPath(Path.Combine(output, "hessian-free.png"))}");
    foreach ((string name, string title, List<Trace> traces) in new[] { ("rosenbrock", "Rosenbrock", rosenbrock), ("logistic", "Logistic regression", logistic), ("curve-fit", "Curve fit (least squares)", fit) })
    {
        string png = Path.Combine(output, name + ".png");
        Experiments.Draw(title, traces, png);
        Console.WriteLine($"picture: {Path.GetFullPath(png)}");
    }
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot write the pictures to '{output}': {e.Message}");
    return 1;
}

return 0;
