/** The longest file name most filesystems store, in bytes of UTF-8. */
export const MAX_FILENAME_BYTES = 255;
export const FALLBACK_FILENAME = 'uploaded-file';
/** An extension longer than this is treated as part of the name, so it cannot eat the whole byte budget. */
const MAX_EXTENSION_BYTES = 32;

const encoder = new TextEncoder();

// White space as Zulip's Python rule sees it (`str.isspace`, which `\s` and `strip()` follow there). JavaScript's
// `\s` and `trim()` differ: they take U+FEFF but not the separators U+001C..U+001F and U+0085, which would give
// another name than Zulip for the same upload.
const WHITE_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const OUTSIDE_KEPT_CHARACTERS = new RegExp(`[^\\p{L}\\p{N}_.${WHITE_SPACE}-]`, 'gu');
const OUTER_WHITE_SPACE = new RegExp(`^[${WHITE_SPACE}]+|[${WHITE_SPACE}]+$`, 'gu');
const DASH_AND_WHITE_SPACE_RUNS = new RegExp(`[${WHITE_SPACE}-]+`, 'gu');

/**
 * Zulip's rule for uploaded file names: NFKC, then keep letters, digits, `_`, white space, `.` and `-`; trim; runs
 * of white space and dashes become one `-`. The result is at most 255 bytes of UTF-8, cut inside the stem so the
 * extension survives. Names that end up empty, `.` or `..` become `uploaded-file`. The result is always a safe
 * single key segment and a safe file name.
 */
export function sanitizeFilename(name: string): string {
  const cleaned = name
    .normalize('NFKC')
    .replace(OUTSIDE_KEPT_CHARACTERS, '')
    .replace(OUTER_WHITE_SPACE, '')
    .replace(DASH_AND_WHITE_SPACE_RUNS, '-');
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return FALLBACK_FILENAME;
  return truncateKeepingExtension(cleaned);
}

function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

function truncateKeepingExtension(name: string): string {
  if (byteLength(name) <= MAX_FILENAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && byteLength(name.slice(dot)) <= MAX_EXTENSION_BYTES ? name.slice(dot) : '';
  const stem = extension === '' ? name : name.slice(0, dot);
  const budget = MAX_FILENAME_BYTES - byteLength(extension);
  let kept = '';
  let used = 0;
  // Cut between code points so no UTF-8 sequence is split.
  for (const character of stem) {
    const size = byteLength(character);
    if (used + size > budget) break;
    kept += character;
    used += size;
  }
  const result = `${kept}${extension}`;
  return result === '' || result === '.' || result === '..' ? FALLBACK_FILENAME : result;
}
