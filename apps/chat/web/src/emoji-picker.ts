import { el, replaceChildren } from './dom.ts';
import type { Emoji } from './types.ts';

/**
 * The composer's emoji menu: a disclosure (so Enter, Space and Escape work without script) listing the
 * organization's custom emoji; picking one hands `:name:` to `onPick` and closes the menu.
 */
export class EmojiPicker {
  readonly element: HTMLDetailsElement;
  readonly #list = el('div', { class: 'emoji-picker-list', role: 'group', 'aria-label': 'Custom emoji' });
  readonly #onPick: (text: string) => void;

  constructor(onPick: (text: string) => void) {
    this.#onPick = onPick;
    this.element = el(
      'details',
      { class: 'emoji-picker' },
      el('summary', { class: 'secondary-summary' }, 'Emoji'),
      this.#list,
    );
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.element.open) {
        this.element.open = false;
        this.element.querySelector('summary')?.focus();
      }
    });
  }

  show(emoji: readonly Emoji[]): void {
    if (emoji.length === 0) {
      replaceChildren(this.#list, el('p', { class: 'muted small' }, 'No custom emoji yet: add some in Settings.'));
      return;
    }
    replaceChildren(
      this.#list,
      ...emoji.map((item) => {
        const button = el(
          'button',
          { type: 'button', class: 'emoji-choice', title: `:${item.name}:`, 'aria-label': `:${item.name}:` },
          el('img', { src: item.url, alt: '', class: 'emoji' }),
        );
        button.addEventListener('click', () => {
          this.#onPick(`:${item.name}:`);
          this.element.open = false;
        });
        return button;
      }),
    );
  }
}
