import { el } from './dom.ts';
import { icon } from './icons.ts';

/** Shows an image at full size in a modal dialog; Escape, the close button or a click outside closes it. */
export function openLightbox(url: string, name: string): HTMLDialogElement {
  const close = el(
    'button',
    { type: 'button', class: 'icon-button lightbox-close', 'aria-label': 'Close' },
    icon('close'),
  );
  const dialog = el(
    'dialog',
    { class: 'lightbox', 'aria-label': name },
    el(
      'figure',
      {},
      el('img', { src: url, alt: name, class: 'lightbox-image' }),
      el(
        'figcaption',
        {},
        el('span', { class: 'lightbox-name' }, name),
        ' ',
        el('a', { href: `${url}?download=1`, download: name }, 'Download'),
      ),
    ),
    close,
  );
  close.addEventListener('click', () => {
    dialog.close();
  });
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}
