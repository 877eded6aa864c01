import { setFlagsFromString } from 'node:v8';

/**
 * About eight times Node 20's default interrupt budget (66 KiB of bytecode run per function before V8 considers
 * optimizing it).
 */
const INTERRUPT_BUDGET = 528 * 1024;

/**
 * Tunes V8 for the `stowage` command, a batch job; a server that embeds the packages decides for itself. To be
 * called before the rest of the command loads. V8 versions without a flag ignore it.
 *
 * - The young generation stays at its first size. A migration allocates fast (read chunks, promises, listing
 *   entries, requests), and V8 answers a high survival rate by doubling the young generation up to 48 MiB, which
 *   then stays: on the bench's data set a copy peaked at about 145 MiB with it and under 100 MiB without it (with
 *   256 KiB read chunks), for no measurable CPU.
 * - Functions are optimized only once they have run about eight times longer. A migration's per-object functions
 *   are large async functions that TurboFan spends 20 to 110 ms each compiling, on threads of its own: on the
 *   bench's copy those threads took 1.2 to 1.4 s of CPU against the main thread's 3.6 to 3.9 s. Optimized later,
 *   the copy took about 11% less CPU in all (5 alternated pairs, medians 3.74 s against 4.22 s) at the same speed,
 *   peaking at up to 88 MiB instead of 83 (less optimized code allocates more), and a resumed run took 0.61 s of
 *   CPU against 0.83 s. A long run still has its hot functions optimized, only later.
 */
export function tuneV8ForTheCommand(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
