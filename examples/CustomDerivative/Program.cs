using CustomDerivative;

// The generator calls the registered VJP/JVP wherever [Differentiable] code calls ThirdParty.LambertW.
// Without the [assembly: RegisterDerivative(...)] line in Special.cs the build stops with:
//   error AD0104: Cannot differentiate the call to 'ThirdParty.LambertW': it has no derivative; mark it
//   [Differentiable], register one with [CustomDerivative] or [assembly: RegisterDerivative], or wrap the
//   value in Ad.StopGradient
double a = 1.5, x = 0.8, y = 0.3;
double loss = Model.LossGradient(a, x, y, out double da, out double dx);
var (_, tangent) = Model.LossJvp(a, x, y, 1, 0);

double h = 1e-6;
double fdA = (Model.Loss(a + h, x, y) - Model.Loss(a - h, x, y)) / (2 * h);
double fdX = (Model.Loss(a, x + h, y) - Model.Loss(a, x - h, y)) / (2 * h);
Console.WriteLine($"loss(a={a}, x={x}, y={y}) = {loss:G10}");
Console.WriteLine($"dLoss/da = {da:G10}   (finite difference {fdA:G10}, forward mode {tangent:G10})");
Console.WriteLine($"dLoss/dx = {dx:G10}   (finite difference {fdX:G10})");
return Math.Abs(da - fdA) < 1e-6 && Math.Abs(dx - fdX) < 1e-6 ? 0 : 1;
