import { describe, expect, it } from 'vitest';
import { parseMessageText, uploadLinkText } from './message-text.ts';

const EMOJI = new Set(['stowage', 'party-parrot']);

describe('parseMessageText', () => {
  it('keeps plain text as one piece', () => {
    expect(parseMessageText('To upload, or not to upload.', EMOJI)).toEqual([
      { kind: 'text', text: 'To upload, or not to upload.' },
    ]);
  });

  it('turns labelled upload links into links named by their label', () => {
    expect(parseMessageText('see [plan.pdf](/user_uploads/2/ab/x/plan.pdf) now', EMOJI)).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'plan.pdf', href: '/user_uploads/2/ab/x/plan.pdf' },
      { kind: 'text', text: ' now' },
    ]);
  });

  it('links bare web addresses and upload paths, leaving closing punctuation outside', () => {
    expect(parseMessageText('at https://example.org/a?b=1. and /user_uploads/1/x/y.png, ok', EMOJI)).toEqual([
      { kind: 'text', text: 'at ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: '. and ' },
      { kind: 'link', text: '/user_uploads/1/x/y.png', href: '/user_uploads/1/x/y.png' },
      { kind: 'text', text: ', ok' },
    ]);
  });

  it('never makes a link of another scheme, even in Markdown form', () => {
    const pieces = parseMessageText('[click](javascript:alert(1)) [x](data:text/html,hi)', EMOJI);
    expect(pieces).toEqual([{ kind: 'text', text: '[click](javascript:alert(1)) [x](data:text/html,hi)' }]);
  });

  it('replaces known custom emoji and leaves unknown names as text', () => {
    expect(parseMessageText('packed :stowage: and :party-parrot::unknown: done', EMOJI)).toEqual([
      { kind: 'text', text: 'packed ' },
      { kind: 'emoji', name: 'stowage' },
      { kind: 'text', text: ' and ' },
      { kind: 'emoji', name: 'party-parrot' },
      { kind: 'text', text: ':unknown: done' },
    ]);
  });

  it('keeps markup characters as text (they are never parsed as HTML)', () => {
    expect(parseMessageText('<img src=x onerror=alert(1)>', EMOJI)).toEqual([
      { kind: 'text', text: '<img src=x onerror=alert(1)>' },
    ]);
  });
});

describe('uploadLinkText', () => {
  it('writes a Markdown link whose label cannot break out of the brackets', () => {
    expect(uploadLinkText('harbour.png', '/user_uploads/1/x/harbour.png')).toBe(
      '[harbour.png](/user_uploads/1/x/harbour.png)',
    );
    expect(uploadLinkText('a]b[c\nd', '/user_uploads/1/x/a')).toBe('[a_b_c_d](/user_uploads/1/x/a)');
  });

  it('round-trips through the parser as one link', () => {
    const text = uploadLinkText('My report (final).pdf', '/user_uploads/1/x/My-report-final.pdf');
    expect(parseMessageText(text, EMOJI)).toEqual([
      { kind: 'link', text: 'My report (final).pdf', href: '/user_uploads/1/x/My-report-final.pdf' },
    ]);
  });
});
