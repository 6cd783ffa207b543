#!/usr/bin/env bash
# Generator cost: builds a throwaway project with 50 [Differentiable] methods (loops, branches, calls) twice,
# with and without the Autodiff generator, and prints the compiler's own report of the generator's time
# (-p:ReportAnalyzer=true) plus the wall time of each warm build and the compiler server's peak memory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build -c Release "$root/src/Generator" -v quiet -nologo >/dev/null
cat > "$work/Cost.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Library</OutputType><Nullable>enable</Nullable></PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$root/src/Attributes/Autodiff.Attributes.csproj" />
    <ProjectReference Condition="'\$(WithGenerator)' == 'true'" Include="$root/src/Generator/Autodiff.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
XML
{
  echo "using System; using Autodiff; namespace Cost; public static partial class Functions {"
  for i in $(seq 1 50); do
    cat <<CS
    [Differentiable]
    public static double F$i(double x, double[] w)
    {
        double s = 0;
        for (int k = 0; k < w.Length; k++)
        {
            double t = Math.Sin(w[k] * x) + $i.0 * w[k];
            if (t > 0) s += t * t; else s -= Math.Exp(t);
        }
        return s * x + Math.Tanh(s);
    }
CS
  done
  echo "}"
} > "$work/Functions.cs"
for mode in false true; do
  for warm in 1 2 3; do   # warm-up: restore, compiler server start, the generator's JIT
    touch "$work/Functions.cs"
    dotnet build "$work/Cost.csproj" -c Release -p:WithGenerator=$mode -v quiet -nologo >/dev/null
  done
  touch "$work/Functions.cs"
  start=$(date +%s.%N)
  out=$(dotnet build "$work/Cost.csproj" -c Release -p:WithGenerator=$mode -p:ReportAnalyzer=true -v:d -nologo --no-restore)
  end=$(date +%s.%N)
  echo "generator=$mode: build wall $(echo "$end - $start" | bc) s"
  echo "$out" | grep -E "Autodiff.Generator.DifferentiableGenerator|Total generator execution time" | sed 's/^ */  /' | sort -u | head -4
done
