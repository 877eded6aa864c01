import { el } from './dom.ts';

const SHOWN_MS = 8000;

/** Shows a short message in the page's live region, read out by screen readers, gone after a few seconds. */
export function notify(text: string, kind: 'info' | 'error' = 'info'): void {
  let region = document.getElementById('notices');
  if (region === null) {
    region = el('div', { id: 'notices', class: 'notices', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const notice = el('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  region.append(notice);
  setTimeout(() => {
    notice.remove();
  }, SHOWN_MS);
}
