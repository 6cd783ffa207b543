using System;
using System.Collections.Generic;
using System.IO;

namespace Autodiff.Kernels;

/// <summary>How many cores the process may use: physical cores, not hardware threads.</summary>
/// <remarks>
/// Two hardware threads of one core share its FMA units, and the kernels keep those busy: a second thread per core
/// adds synchronisation, not arithmetic. On Linux the topology under /sys gives the distinct (package, core) pairs of
/// the CPUs the process may run on (Cpus_allowed_list, else the online CPUs); elsewhere, or when it cannot be read,
/// every logical CPU counts. Never more than
/// <see cref="Environment.ProcessorCount"/>, which already honours the process's affinity and a container's CPU limit.
/// </remarks>
internal static class Cores
{
    public static int Physical { get; } = Count();

    private static int Count()
    {
        int logical = Environment.ProcessorCount;
        try
        {
            const string root = "/sys/devices/system/cpu";
            if (!OperatingSystem.IsLinux() || !File.Exists(Path.Combine(root, "online")))
            {
                return logical;
            }

            // The CPUs this process may run on (its affinity), else all online ones.
            string cpus = File.ReadAllText(Path.Combine(root, "online"));
            if (File.Exists("/proc/self/status"))
            {
                foreach (string line in File.ReadLines("/proc/self/status"))
                {
                    if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
                    {
                        cpus = line["Cpus_allowed_list:".Length..];
                    }
                }
            }

            var cores = new HashSet<(string Package, string Core)>();
            foreach (int cpu in CpuList(cpus))
            {
                if (!Directory.Exists(Path.Combine(root, "cpu" + cpu, "topology")))
                {
                    continue; // allowed but offline
                }

                string topology = Path.Combine(root, "cpu" + cpu, "topology");
                string core = File.ReadAllText(Path.Combine(topology, "core_id")).Trim();
                string package = File.ReadAllText(Path.Combine(topology, "physical_package_id")).Trim();
                cores.Add((package, core));
            }

            return cores.Count == 0 ? logical : Math.Clamp(cores.Count, 1, logical);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return logical;
        }
    }

    /// <summary>The CPUs of a kernel CPU list such as "0-3,8,10-11".</summary>
    internal static IEnumerable<int> CpuList(string list)
    {
        foreach (string range in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = range.IndexOf('-');
            int first = int.Parse(dash < 0 ? range : range[..dash], System.Globalization.CultureInfo.InvariantCulture);
            int last = dash < 0 ? first : int.Parse(range[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            for (int cpu = first; cpu <= last; cpu++)
            {
                yield return cpu;
            }
        }
    }
}
