import { setFlagsFromString } from 'node:v8';

/**
 * Stops V8 from growing its young generation for the rest of the process. A migration allocates fast (read chunks,
 * promises, listing entries, requests), and V8 answers a high survival rate by doubling the young generation up to
 * 48 MiB, which then stays: on the bench's data set a copy peaked at about 145 MiB with it and under 100 MiB without
 * it (with 256 KiB read chunks), for no measurable CPU. Right for the `stowage` command, a batch job; a server
 * that embeds the packages decides for itself. V8 versions without the flag ignore it.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
