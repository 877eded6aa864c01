import { describe, expect, it } from 'vitest';
import { StatusLineSink } from './status-line.ts';

function capture(): { sink: StatusLineSink; written: () => string } {
  let text = '';
  return {
    sink: new StatusLineSink({
      write: (chunk) => {
        text += chunk;
      },
    }),
    written: () => text,
  };
}

describe('StatusLineSink', () => {
  it('prints a note above a drawn bar, then draws the bar again below it', () => {
    const { sink, written } = capture();
    sink.write('\r\x1b[2Kuploads [###.....]  30%');
    sink.note('(stowage:1) Warning: NodeVersionSupportWarning: upgrade');
    expect(written()).toBe(
      '\r\x1b[2Kuploads [###.....]  30%\r\x1b[2K(stowage:1) Warning: NodeVersionSupportWarning: upgrade\nuploads [###.....]  30%',
    );
  });

  it('prints a note as plain lines when no bar is drawn, also after a finished bar', () => {
    const { sink, written } = capture();
    sink.note('first');
    sink.write('\r\x1b[2Kuploads [########] 100%\n');
    sink.note('second\n');
    expect(written()).toBe('first\n\r\x1b[2Kuploads [########] 100%\nsecond\n');
  });
});
