using System;
using System.Globalization;
using Autodiff.Generator.Ir;

namespace Autodiff.Generator.Helpers;

/// <summary>Formats literals for generated code, always in the invariant culture (a U+2212 minus would not compile).</summary>
internal static class Literal
{
    public static string Floating(double value, ScalarKind kind)
    {
        bool isFloat = kind == ScalarKind.Float;
        string keyword = isFloat ? "float" : "double";
        if (double.IsNaN(value))
        {
            return keyword + ".NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return keyword + ".PositiveInfinity";
        }

        if (double.IsNegativeInfinity(value))
        {
            return keyword + ".NegativeInfinity";
        }

        string text = isFloat
            ? ((float)value).ToString("R", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOf('.') < 0 && text.IndexOf('E') < 0)
        {
            text += ".0";
        }

        return isFloat ? text + "f" : text;
    }

    public static string Of(object? value, ScalarKind kind) => kind switch
    {
        ScalarKind.Double or ScalarKind.Float => Floating(Convert.ToDouble(value, CultureInfo.InvariantCulture), kind),
        ScalarKind.Int => Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        ScalarKind.Long => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + "L",
        _ => Convert.ToBoolean(value, CultureInfo.InvariantCulture) ? "true" : "false",
    };

    /// <summary>A typed literal for a small constant used by derivative rules: <c>1.0</c> or <c>1.0f</c>.</summary>
    public static string Number(double value, ScalarKind kind) => Floating(value, kind);
}
