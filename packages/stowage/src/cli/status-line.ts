import type { TextSink } from './progress-display.ts';

const ERASE_LINE = '\x1b[2K';

/**
 * A terminal's error stream with one redrawn status line (the progress bar) at its bottom. Text written without a
 * final newline is the status line; `note()` prints whole lines above it (a warning, a message) and draws the status
 * line again below, so nothing is ever written into the middle of the bar.
 */
export class StatusLineSink implements TextSink {
  #status = '';

  constructor(private readonly out: TextSink) {}

  write(text: string): void {
    this.out.write(text);
    const lastNewline = text.lastIndexOf('\n');
    const tail = lastNewline === -1 ? this.#status + text : text.slice(lastNewline + 1);
    // The bar redraws with "\r" and an erase-line sequence: only what follows the last of them is on screen.
    const lastReturn = tail.lastIndexOf('\r');
    const shown = lastReturn === -1 ? tail : tail.slice(lastReturn + 1);
    this.#status = shown.startsWith(ERASE_LINE) ? shown.slice(ERASE_LINE.length) : shown;
  }

  /** Prints `text` as whole lines above the status line. */
  note(text: string): void {
    const lines = text.endsWith('\n') ? text : `${text}\n`;
    if (this.#status === '') {
      this.out.write(lines);
      return;
    }
    this.out.write(`\r${ERASE_LINE}${lines}${this.#status}`);
  }
}
