import { describe, expect, it } from 'vitest';
import { FALLBACK_FILENAME, MAX_FILENAME_BYTES, sanitizeFilename } from './filename.ts';
import { keyProblem } from './keys.ts';

const bytes = (text: string): number => new TextEncoder().encode(text).byteLength;

// Each expected value follows Zulip's sanitize_name: NFKC; drop everything but letters, digits, "_", white space,
// "." and "-"; strip white space; runs of white space and dashes become one "-"; "", "." and ".." become
// "uploaded-file". (Cross-checked against the Python original.)
const cases: readonly (readonly [string, string, string])[] = [
  ['path traversal loses its slashes', '../../etc/passwd', '....etcpasswd'],
  ['full-width slashes are slashes after NFKC, then dropped', '..\uff0f..\uff0fetc', '....etc'],
  ['Windows path separators and the drive colon are dropped', 'C:\\Users\\me\\photo.jpg', 'CUsersmephoto.jpg'],
  ['NUL is dropped', 'a\u0000b.txt', 'ab.txt'],
  ['a right-to-left mark (format character) is dropped', 'file\u200fgpj.exe', 'filegpj.exe'],
  ['a right-to-left override cannot disguise the extension', 'invoice\u202efdp.exe', 'invoicefdp.exe'],
  ['a zero-width space is dropped', 'a\u200bb', 'ab'],
  ['a byte order mark inside is dropped (not white space in Zulip)', 'a\ufeffb', 'ab'],
  ['emoji are dropped, the space before the dot becomes a dash', 'party \u{1f389}.png', 'party-.png'],
  ['a name of only emoji keeps its extension', '\u{1f389}\u{1f389}.gif', '.gif'],
  ['a decomposed accent is composed by NFKC and kept', 'cafe\u0301.txt', 'caf\u00e9.txt'],
  ['combining marks with nothing to compose with are dropped', 'Z\u0351\u0364algo.txt', 'Zalgo.txt'],
  [
    'full-width letters and digits become ASCII',
    '\uff21\uff22\uff23\uff11\uff12\uff13\uff0e\uff54\uff58\uff54',
    'ABC123.txt',
  ],
  ['a ligature is expanded', '\ufb01le.pdf', 'file.pdf'],
  ['a superscript digit becomes a digit', 'x\u00b2.png', 'x2.png'],
  ['a vulgar fraction loses its fraction slash', '\u00bd.txt', '12.txt'],
  ['a Roman numeral becomes letters', '\u216b.txt', 'XII.txt'],
  ['Arabic-Indic digits are digits', '\u0661\u0662\u0663.txt', '\u0661\u0662\u0663.txt'],
  [
    'one Arabic ligature expands to four words',
    '\ufdfa.txt',
    '\u0635\u0644\u0649-\u0627\u0644\u0644\u0647-\u0639\u0644\u064a\u0647-\u0648\u0633\u0644\u0645.txt',
  ],
  ['Hebrew letters are kept', '\u05e9\u05dc\u05d5\u05dd.txt', '\u05e9\u05dc\u05d5\u05dd.txt'],
  ['Cyrillic is kept, parentheses dropped', 'Отчёт 2024 (финал).docx', 'Отчёт-2024-финал.docx'],
  ['accented Latin with a space', 'résumé final.pdf', 'résumé-final.pdf'],
  ['markup characters are dropped', '<script>alert(1)</script>.html', 'scriptalert1script.html'],
  ['the Windows reserved name CON is an ordinary name here', 'CON', 'CON'],
  ['NUL.txt is kept: keys are not Windows paths', 'NUL.txt', 'NUL.txt'],
  ['COM1 is kept', 'COM1', 'COM1'],
  ['trailing dots and spaces: inner spaces become dashes', 'file. . .', 'file.-.-.'],
  ['trailing spaces are stripped', 'name.txt   ', 'name.txt'],
  ['a trailing dot stays once the space after it is stripped', 'name.txt. ', 'name.txt.'],
  ['tabs and newlines count as white space', 'a\tb\nc.txt', 'a-b-c.txt'],
  ['information separators U+001C..U+001F are white space in Zulip', 'a\u001fb', 'a-b'],
  ['next line U+0085 is white space in Zulip', 'a\u0085b', 'a-b'],
  ['separators at the ends are stripped', '\u001ca\u001d', 'a'],
  ['ideographic spaces become spaces under NFKC', '\u3000wide\u3000space\u3000.txt', 'wide-space-.txt'],
  ['the Ogham space mark is white space', 'a\u1680b', 'a-b'],
  ['runs of spaces and dashes collapse to one dash', 'my  --  file.txt', 'my-file.txt'],
  ['leading and trailing dashes are not stripped', '-leading and trailing-', '-leading-and-trailing-'],
  ['underscores are kept', '__init__.py', '__init__.py'],
  ['only spaces', '   ', FALLBACK_FILENAME],
  ['a no-break space alone (a space after NFKC)', '\u00a0', FALLBACK_FILENAME],
  ['"."', '.', FALLBACK_FILENAME],
  ['".."', '..', FALLBACK_FILENAME],
  ['".." with a trailing space', '.. ', FALLBACK_FILENAME],
  ['"." between spaces', ' . ', FALLBACK_FILENAME],
  ['"..." is a name like any other', '...', '...'],
  ['dots around a space', '. .', '.-.'],
  ['a lone slash', '/', FALLBACK_FILENAME],
  ['only punctuation', '!!!', FALLBACK_FILENAME],
  ['only symbols', '$%^&*()', FALLBACK_FILENAME],
  ['the empty string', '', FALLBACK_FILENAME],
  ['a dot file', '.bashrc', '.bashrc'],
];

describe('sanitizeFilename', () => {
  it.each(cases)('%s', (_why, name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected);
  });

  it('cuts a 300-byte ASCII name with an extension to 255 bytes, keeping the extension', () => {
    const result = sanitizeFilename(`${'a'.repeat(296)}.txt`);
    expect(result).toBe(`${'a'.repeat(251)}.txt`);
    expect(bytes(result)).toBe(MAX_FILENAME_BYTES);
  });

  it('cuts a 300-byte name without an extension to exactly 255 bytes', () => {
    expect(sanitizeFilename('b'.repeat(300))).toBe('b'.repeat(255));
  });

  it('leaves a name of exactly 255 bytes alone', () => {
    const name = `${'c'.repeat(251)}.txt`;
    expect(sanitizeFilename(name)).toBe(name);
  });

  it('never splits a two-byte character: 125 of them fit beside ".pdf" (254 bytes)', () => {
    const result = sanitizeFilename(`${'\u00e9'.repeat(150)}.pdf`);
    expect(result).toBe(`${'\u00e9'.repeat(125)}.pdf`);
    expect(bytes(result)).toBe(254);
  });

  it('never splits a three-byte character: 83 of them fit beside ".txt" (253 bytes)', () => {
    const result = sanitizeFilename(`${'\u4e2d'.repeat(100)}.txt`);
    expect(result).toBe(`${'\u4e2d'.repeat(83)}.txt`);
    expect(bytes(result)).toBe(253);
  });

  it('never splits a four-byte character: 62 of them fit beside ".png" (252 bytes)', () => {
    const result = sanitizeFilename(`${'\u{20000}'.repeat(70)}.png`);
    expect(result).toBe(`${'\u{20000}'.repeat(62)}.png`);
    expect(result.isWellFormed()).toBe(true);
    expect(bytes(result)).toBe(252);
  });

  it('treats an extension over 32 bytes as part of the name, so it cannot take the whole budget', () => {
    const result = sanitizeFilename(`${'a'.repeat(250)}.${'x'.repeat(40)}`);
    expect(result).toBe(`${'a'.repeat(250)}.xxxx`);
    expect(bytes(result)).toBe(MAX_FILENAME_BYTES);
  });

  it('keeps a 32-byte extension (dot included) and cuts the stem instead', () => {
    const extension = `.${'e'.repeat(31)}`;
    const result = sanitizeFilename(`${'s'.repeat(300)}${extension}`);
    expect(result).toBe(`${'s'.repeat(MAX_FILENAME_BYTES - 32)}${extension}`);
  });

  it('cuts a long dot file as a name without an extension', () => {
    expect(sanitizeFilename(`.${'x'.repeat(300)}`)).toBe(`.${'x'.repeat(254)}`);
  });

  it('cuts after collapsing, so spaces count as their single dash', () => {
    const result = sanitizeFilename(`${'word   '.repeat(60)}end.md`);
    expect(bytes(result)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect(result.endsWith('.md')).toBe(true);
    expect(result.startsWith('word-word-')).toBe(true);
  });

  it('always returns a valid key segment of at most 255 bytes, whatever the input', () => {
    let state = 12345;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state;
    };
    const alphabet = [
      'a',
      '.',
      '..',
      '/',
      '\\',
      ' ',
      '-',
      '\u0000',
      '\u001f',
      '\u0085',
      '\u00e9',
      '\u0301',
      '\u{1f600}',
      '\u202e',
      '\ufeff',
      '\u4e2d',
      '\uff0f',
      '\ufdfa',
      'x',
      '_',
    ];
    for (let round = 0; round < 500; round++) {
      const length = random() % 400;
      let name = '';
      for (let index = 0; index < length; index++) name += alphabet[random() % alphabet.length] ?? '';
      const result = sanitizeFilename(name);
      expect(keyProblem(result), JSON.stringify(name)).toBeUndefined();
      expect(result.includes('/')).toBe(false);
      expect(bytes(result)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
      expect(sanitizeFilename(result), 'sanitizing twice changes nothing').toBe(result);
    }
  });
});
