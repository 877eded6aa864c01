/** One piece of a message's text, in order. */
export type TextPiece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly href: string }
  | { readonly kind: 'emoji'; readonly name: string };

// `[label](target)`, a bare web address, a bare upload path, or `:emoji_name:`, whichever comes first.
const TOKEN =
  /\[([^\]\n]{1,300})\]\(((?:https?:\/\/|\/user_uploads\/)[^\s)]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])|(\/user_uploads\/[^\s<>()]+[^\s<>().,;:!?'"])|:([a-z0-9_-]{1,60}):/gu;

/**
 * Splits message text into plain text, links (only `http`, `https` and the app's own upload paths, so no
 * `javascript:` ever becomes a link) and custom emoji that exist in the organization; an unknown `:name:` stays text.
 */
export function parseMessageText(content: string, emojiNames: ReadonlySet<string>): TextPiece[] {
  const pieces: TextPiece[] = [];
  let plain = '';
  let last = 0;
  const flush = (): void => {
    if (plain !== '') pieces.push({ kind: 'text', text: plain });
    plain = '';
  };
  for (const match of content.matchAll(TOKEN)) {
    const [whole, label, labelled, bareWeb, bareUpload, emoji] = match;
    plain += content.slice(last, match.index);
    last = match.index + whole.length;
    if (emoji !== undefined && !emojiNames.has(emoji)) {
      plain += whole;
      continue;
    }
    flush();
    if (emoji !== undefined) pieces.push({ kind: 'emoji', name: emoji });
    else if (label !== undefined && labelled !== undefined) pieces.push({ kind: 'link', text: label, href: labelled });
    else {
      const href = bareWeb ?? bareUpload ?? whole;
      pieces.push({ kind: 'link', text: href, href });
    }
  }
  plain += content.slice(last);
  flush();
  return pieces;
}

/** The Markdown-style link a finished upload puts in the message being written, as Zulip does. */
export function uploadLinkText(name: string, url: string): string {
  const label = name.replace(/[[\]\n]/gu, '_');
  return `[${label}](${url})`;
}
