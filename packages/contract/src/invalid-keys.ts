/** A key every store must reject with `InvalidKey`, and which rule of DESIGN.md it breaks. */
export interface InvalidKeyCase {
  readonly key: string;
  readonly why: string;
}

/** Every kind of invalid key DESIGN.md lists, with edge cases of each. */
export const INVALID_KEYS: readonly InvalidKeyCase[] = [
  { key: '', why: 'empty' },
  { key: '/a', why: 'absolute' },
  { key: '/', why: 'only a slash' },
  { key: '.', why: 'a "." segment alone' },
  { key: '..', why: 'a ".." segment alone' },
  { key: './a', why: 'leading "." segment' },
  { key: 'a/./b', why: 'inner "." segment' },
  { key: 'a/.', why: 'trailing "." segment' },
  { key: '../a', why: 'leading ".." segment (traversal)' },
  { key: 'a/../b', why: 'inner ".." segment' },
  { key: 'a/..', why: 'trailing ".." segment' },
  { key: 'a//b', why: 'empty inner segment' },
  { key: 'a/', why: 'trailing slash (empty last segment)' },
  { key: 'a\u0000b', why: 'NUL' },
  { key: 'a\u0001b', why: 'C0 control U+0001' },
  { key: 'a\tb', why: 'tab' },
  { key: 'a\nb', why: 'line feed' },
  { key: 'a\rb', why: 'carriage return' },
  { key: 'a\u001fb', why: 'C0 control U+001F' },
  { key: 'a\u007fb', why: 'DEL' },
  { key: 'a\u0085b', why: 'C1 control U+0085 (next line)' },
  { key: 'a\\b', why: 'backslash' },
  { key: '..\\a', why: 'backslash traversal' },
  { key: 'x'.repeat(1025), why: '1025 bytes of ASCII' },
  { key: '\u00e9'.repeat(513), why: '1026 bytes of two-byte UTF-8 (513 characters)' },
  { key: 'a\ud800b', why: 'lone surrogate (not encodable as UTF-8)' },
];

/** Prefixes `list` must reject with `InvalidKey`: no key could start with them. */
export const INVALID_PREFIXES: readonly InvalidKeyCase[] = [
  { key: '/', why: 'absolute' },
  { key: '/a', why: 'absolute' },
  { key: 'a//', why: 'empty segment' },
  { key: '../', why: 'a ".." segment' },
  { key: 'a/./', why: 'a "." segment' },
  { key: 'a\u0000', why: 'NUL' },
  { key: 'a\\', why: 'backslash' },
];
