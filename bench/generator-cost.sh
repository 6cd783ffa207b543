#!/usr/bin/env bash
# Generator cost: builds a throwaway library with 50 [Differentiable] methods (loops, branches, calls) with and
# without the Autodiff generator and prints, per configuration, the median warm build wall time, the compiler's
# own report of the generator's time (-p:ReportAnalyzer=true) and the compiler's peak memory.
#
# Two ways the compiler runs, both reported:
#   server:    the shared compiler server (VBCSCompiler), what `dotnet build` uses on a developer machine, after
#              three warm-up builds (server-warm: the same server after fifteen builds in all, when the JIT has
#              tiered the generator's code up);
#   no server: a fresh compiler process per build (UseSharedCompilation=false, how this machine and most CI
#              containers are set up), so every build pays the JIT of the compiler and of the generator.
# The generator and the attributes are referenced as built DLLs (an <Analyzer> item, a <Reference>), as a
# package would add them, so that both configurations run the same MSBuild work and differ only by the generator.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"; dotnet build-server shutdown >/dev/null 2>&1 || true' EXIT
dotnet build -c Release "$root/src/Generator" -v quiet -nologo >/dev/null
dotnet build -c Release "$root/src/Attributes" -v quiet -nologo >/dev/null
generator="$root/src/Generator/bin/Release/netstandard2.0/Autodiff.Generator.dll"
attributes="$root/src/Attributes/bin/Release/netstandard2.0/Autodiff.Attributes.dll"
roslyn="$(dirname "$(readlink -f "$(command -v dotnet)")")/sdk/$(dotnet --version)/Roslyn/bincore/csc"

cat > "$work/Cost.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><OutputType>Library</OutputType><Nullable>enable</Nullable></PropertyGroup>
  <ItemGroup>
    <Reference Include="$attributes" />
    <Analyzer Condition="'\$(WithGenerator)' == 'true'" Include="$generator" />
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

# The no-server compiler, wrapped so that its peak resident memory is recorded per build.
cat > "$work/csc-measured" <<SH
#!/usr/bin/env bash
exec /usr/bin/time -f "%M" -a -o "$work/peak.txt" "$roslyn" "\$@"
SH
chmod +x "$work/csc-measured"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure() { # $1 = server|server-warm|no-server, $2 = true|false (generator)
  local mode=$1 with=$2 flags warmups=3
  if [ "$mode" != no-server ]; then
    flags=(-p:UseSharedCompilation=true)
    if [ "$mode" = server ]; then
      dotnet build-server shutdown >/dev/null 2>&1 || true
    else
      # the same server, still running: 3 + 3 builds of each configuration already, 9 more make 15 with the
      # generator, by when the JIT has tiered the compiler's and the generator's code up
      warmups=9
    fi
  else
    flags=(-p:UseSharedCompilation=false "-p:CscToolPath=$work" -p:CscToolExe=csc-measured)
    # every build is a fresh compiler process (nothing for the JIT to keep): one warm-up for the disk cache and
    # MSBuild's nodes is enough (three took 18 s more of the 15-minute budget)
    warmups=1
  fi
  dotnet build "$work/Cost.csproj" -c Release -p:WithGenerator="$with" "${flags[@]}" -v quiet -nologo >/dev/null   # restore
  for warm in $(seq 1 $warmups); do   # warm-up: the compiler server and the generator's JIT
    touch "$work/Functions.cs"
    dotnet build "$work/Cost.csproj" -c Release -p:WithGenerator="$with" "${flags[@]}" -v quiet -nologo --no-restore >/dev/null
  done
  rm -f "$work/peak.txt" "$work/walls" "$work/reported"
  for run in 1 2 3; do
    touch "$work/Functions.cs"
    local start end out
    start=$(date +%s.%N)
    out=$(dotnet build "$work/Cost.csproj" -c Release -p:WithGenerator="$with" "${flags[@]}" -p:ReportAnalyzer=true -v:d -nologo --no-restore)
    end=$(date +%s.%N)
    echo "$end - $start" | bc >> "$work/walls"
    echo "$out" | grep -E "^ +[0-9.]+ +[0-9<]+ +Autodiff.Generator.DifferentiableGenerator" | awk '{ print $1 }' | head -1 >> "$work/reported" || true
  done
  local peak
  if [ "$mode" != no-server ]; then
    local pid
    pid=$(pgrep -f "Roslyn/bincore/VBCSCompiler" | head -1 || true)
    peak=$( [ -n "$pid" ] && awk '/VmHWM/ { print $2 }' "/proc/$pid/status" || echo 0)
  else
    peak=$(median < "$work/peak.txt")
  fi
  local reported
  reported=$( [ -s "$work/reported" ] && median < "$work/reported" || echo "-")
  printf "%-10s generator=%-5s  wall %5.2f s   generator reported %6s s   compiler peak %6d MB\n" \
    "$mode" "$with" "$(median < "$work/walls")" "$reported" "$((peak / 1024))"
}

for mode in server server-warm no-server; do
  for with in false true; do
    measure "$mode" "$with"
  done
done
