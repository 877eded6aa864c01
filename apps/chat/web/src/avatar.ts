import { el } from './dom.ts';

function initials(fullName: string): string {
  const words = fullName
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== '');
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0]];
  return letters.map((word) => (word ?? '').charAt(0).toUpperCase()).join('') || '?';
}

/** A stable hue per user id, so initials stay the same colour everywhere. */
function hueOf(userId: number): number {
  return (userId * 137) % 360;
}

/** A user's avatar image, or their initials on a coloured disc when they have none. */
export function avatarElement(
  user: { readonly id: number; readonly fullName: string },
  url: string | null | undefined,
  size: 'small' | 'medium' | 'large',
): HTMLElement {
  if (url !== null && url !== undefined) {
    return el('img', { class: `avatar avatar-${size}`, src: url, alt: '', 'data-user-id': user.id });
  }
  const disc = el(
    'span',
    { class: `avatar avatar-${size} avatar-initials`, 'aria-hidden': 'true', 'data-user-id': user.id },
    initials(user.fullName),
  );
  disc.style.setProperty('--avatar-hue', String(hueOf(user.id)));
  return disc;
}
