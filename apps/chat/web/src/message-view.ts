import { avatarElement } from './avatar.ts';
import { el } from './dom.ts';
import { formatBytes, formatTime } from './format.ts';
import { icon } from './icons.ts';
import { openLightbox } from './lightbox.ts';
import { parseMessageText } from './message-text.ts';
import type { Attachment, Emoji, Message } from './types.ts';

const INLINE_VIDEO = new Set(['video/mp4', 'video/webm']);
const INLINE_AUDIO = new Set(['audio/aac', 'audio/flac', 'audio/mp4', 'audio/mpeg', 'audio/wav', 'audio/webm']);

/**
 * The message's text with links and emoji. A link to a file the message carries is left out (its card shows it,
 * once); any other link to a file opens in a new tab, so the chat is never replaced. `undefined` when nothing but
 * such links was written.
 */
function messageText(
  content: string,
  emoji: readonly Emoji[],
  attachments: readonly Attachment[],
): HTMLElement | undefined {
  const byName = new Map(emoji.map((item) => [item.name, item]));
  const carried = new Set(attachments.map((attachment) => attachment.url));
  const pieces = parseMessageText(content, new Set(byName.keys())).filter(
    (piece) => piece.kind !== 'link' || !carried.has(piece.href),
  );
  // Line breaks that only separated a left-out link from the rest would show as empty lines.
  const first = pieces[0];
  if (first?.kind === 'text') pieces[0] = { kind: 'text', text: first.text.replace(/^\s+/u, '') };
  const last = pieces.at(-1);
  if (last?.kind === 'text') pieces[pieces.length - 1] = { kind: 'text', text: last.text.replace(/\s+$/u, '') };
  const text = el('div', { class: 'message-text' });
  for (const piece of pieces) {
    if (piece.kind === 'text') text.append(piece.text);
    else if (piece.kind === 'link') {
      const sameTab = piece.href.startsWith('/') && !piece.href.startsWith('/user_uploads/');
      text.append(
        el(
          'a',
          {
            href: piece.href,
            target: sameTab ? undefined : '_blank',
            rel: sameTab ? undefined : 'noopener noreferrer',
          },
          piece.text,
        ),
      );
    } else {
      const item = byName.get(piece.name);
      if (item !== undefined)
        text.append(el('img', { class: 'emoji', src: item.url, alt: `:${piece.name}:`, title: `:${piece.name}:` }));
    }
  }
  return text.textContent === '' && text.childElementCount === 0 ? undefined : text;
}

/** Images show as thumbnails (full size on click), video and audio play inline, anything else is a download. */
export function attachmentPreview(attachment: Attachment): HTMLElement {
  if (attachment.thumbnailUrl !== null) {
    const button = el(
      'button',
      { type: 'button', class: 'image-preview', 'aria-label': `View ${attachment.name} full size` },
      el('img', { src: attachment.thumbnailUrl, alt: attachment.name, loading: 'lazy' }),
    );
    button.addEventListener('click', () => openLightbox(attachment.url, attachment.name));
    return button;
  }
  if (INLINE_VIDEO.has(attachment.contentType)) {
    return el(
      'figure',
      { class: 'media-preview' },
      el('video', { src: attachment.url, controls: true, preload: 'metadata' }),
      el('figcaption', {}, fileLink(attachment)),
    );
  }
  if (INLINE_AUDIO.has(attachment.contentType)) {
    return el(
      'figure',
      { class: 'media-preview' },
      el('audio', { src: attachment.url, controls: true, preload: 'none' }),
      el('figcaption', {}, fileLink(attachment)),
    );
  }
  return el('div', { class: 'file-card' }, icon('file'), fileLink(attachment));
}

/** The file's name opens it in a new tab (the chat stays); "Download" saves it. */
function fileLink(attachment: Attachment): HTMLElement {
  return el(
    'span',
    { class: 'file-link' },
    el('a', { href: attachment.url, target: '_blank', rel: 'noopener' }, attachment.name),
    ' ',
    el('span', { class: 'file-size' }, formatBytes(attachment.size)),
    ' ',
    el(
      'a',
      {
        class: 'file-download',
        href: `${attachment.url}?download=1`,
        download: attachment.name,
        'aria-label': `Download ${attachment.name}`,
      },
      'Download',
    ),
  );
}

export interface MessageActions {
  /** Present when the reader may delete this message (its sender or an admin). */
  readonly onDelete?: ((message: Message) => void) | undefined;
}

/** One message in the feed: who, when, the text with links and emoji, and its files. */
export function messageElement(message: Message, emoji: readonly Emoji[], actions: MessageActions): HTMLLIElement {
  const onDelete = actions.onDelete;
  const remove =
    onDelete === undefined
      ? null
      : el(
          'button',
          { type: 'button', class: 'link-button message-delete', 'aria-label': 'Delete this message' },
          'Delete',
        );
  remove?.addEventListener('click', () => {
    onDelete?.(message);
  });
  const attachments =
    message.attachments.length === 0
      ? null
      : el('div', { class: 'message-attachments' }, ...message.attachments.map(attachmentPreview));
  return el(
    'li',
    { class: 'message', 'data-message-id': message.id },
    avatarElement(message.sender, message.sender.avatarUrl, 'medium'),
    el(
      'div',
      { class: 'message-body' },
      el(
        'div',
        { class: 'message-meta' },
        el('span', { class: 'message-sender' }, message.sender.fullName),
        el('time', { datetime: message.createdAt }, formatTime(message.createdAt)),
        remove,
      ),
      messageText(message.content, emoji, message.attachments),
      attachments,
    ),
  );
}
