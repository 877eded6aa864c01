import type { MigrationProgress } from '@stowage/migrate';
import { formatBytes, formatDuration } from './format.ts';

/** How progress is shown: a redrawn bar on a terminal, periodic plain lines in a log, JSON lines for tools. */
export type ProgressStyle = 'bar' | 'lines' | 'json' | 'none';

export interface TextSink {
  write(text: string): void;
}

function describe(progress: MigrationProgress): string {
  const objects =
    progress.objectsTotal === undefined
      ? `${progress.objectsDone} objects`
      : `${progress.objectsDone}/${progress.objectsTotal} objects`;
  const bytes =
    progress.bytesTotal === undefined
      ? formatBytes(progress.bytesDone)
      : `${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}`;
  const eta = progress.etaSeconds === undefined ? 'ETA unknown' : `ETA ${formatDuration(progress.etaSeconds)}`;
  const failed = progress.failed > 0 ? `, ${progress.failed} failed` : '';
  return `${objects}, ${bytes}, ${formatBytes(progress.bytesPerSecond)}/s, ${progress.objectsPerSecond.toFixed(0)} objects/s, ${eta}${failed}`;
}

function bar(progress: MigrationProgress, width: number): string {
  const total = progress.bytesTotal ?? 0;
  const fraction = total > 0 ? Math.min(1, progress.bytesDone / total) : progress.objectsTotal === 0 ? 1 : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

/**
 * Turns progress events into output. `lines` prints at most one line per `intervalMs` (and the final one), so a
 * log stays readable; `bar` redraws one line in place; `json` prints each event it is given as one JSON object.
 */
export function progressPrinter(
  style: ProgressStyle,
  sink: TextSink,
  label: string,
  intervalMs: number,
): (progress: MigrationProgress) => void {
  let lastPrinted = Number.NEGATIVE_INFINITY;
  return (progress) => {
    if (style === 'none') return;
    const now = performance.now();
    if (!progress.final && now - lastPrinted < intervalMs) return;
    lastPrinted = now;
    if (style === 'json') sink.write(`${JSON.stringify({ event: 'progress', namespace: label, ...progress })}\n`);
    else if (style === 'lines') sink.write(`${label}: ${describe(progress)}\n`);
    else sink.write(`\r\x1b[2K${label} ${bar(progress, 24)} ${describe(progress)}${progress.final ? '\n' : ''}`);
  };
}
