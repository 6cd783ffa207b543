namespace Autodiff.Runtime.Tests;

/// <summary>
/// Bytes allocated on this thread by repeated work, round by round: up to three rounds of <c>calls</c> calls, stopping
/// at the first that allocates nothing, so that a one-off allocation of the runtime (a JIT tier-up, a pool's first
/// use) lands in one round only. The zero-allocation tests assert that the last round allocated nothing.
/// </summary>
internal static class Allocation
{
    public static List<long> ByRound(int calls, Action<int> call)
    {
        var rounds = new List<long>();
        for (int round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                call(i);
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return rounds;
    }
}
