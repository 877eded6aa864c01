import { logOut } from './api.ts';
import { describeError } from './api-failure.ts';
import { avatarElement } from './avatar.ts';
import { el, replaceChildren } from './dom.ts';
import { notify } from './notices.ts';
import type { SessionState } from './session-state.ts';

export type Section = 'chat' | 'uploads' | 'settings';

/** The bar across the top: organization icon and logo, the three sections, and who is logged in. */
export class AppShell {
  readonly element: HTMLElement;
  readonly main: HTMLElement = el('main', { id: 'main', class: 'app-main' });
  readonly #brand = el('a', { class: 'brand', href: '#/' });
  readonly #me = el('div', { class: 'me' });
  readonly #links: Record<Section, HTMLAnchorElement> = {
    chat: el('a', { href: '#/' }, 'Chat'),
    uploads: el('a', { href: '#/uploads' }, 'My uploads'),
    settings: el('a', { href: '#/settings' }, 'Settings'),
  };
  readonly #state: SessionState;

  constructor(state: SessionState, onLoggedOut: () => void) {
    this.#state = state;
    const logout = el('button', { type: 'button', class: 'secondary small-button' }, 'Log out');
    logout.addEventListener('click', () => {
      logOut().then(onLoggedOut, (error: unknown) => {
        notify(`Could not log out: ${describeError(error)}`, 'error');
      });
    });
    this.element = el(
      'div',
      { class: 'app' },
      el('a', { class: 'skip-link', href: '#main' }, 'Skip to content'),
      el(
        'header',
        { class: 'topbar' },
        this.#brand,
        el(
          'nav',
          { class: 'sections', 'aria-label': 'Sections' },
          this.#links.chat,
          this.#links.uploads,
          this.#links.settings,
        ),
        el('div', { class: 'me-wrap' }, this.#me, logout),
      ),
      this.main,
    );
    this.render();
    state.onChange(() => {
      this.render();
    });
  }

  select(section: Section): void {
    for (const [name, link] of Object.entries(this.#links)) {
      if (name === section) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  render(): void {
    const { realm, user } = this.#state;
    replaceChildren(
      this.#brand,
      realm.iconUrl === null ? null : el('img', { class: 'realm-icon', src: realm.iconUrl, alt: '' }),
      realm.logoUrl === null
        ? el('span', { class: 'realm-name' }, realm.name)
        : el('img', { class: 'realm-logo', src: realm.logoUrl, alt: realm.name }),
    );
    replaceChildren(
      this.#me,
      avatarElement(user, user.avatarUrl, 'small'),
      el('span', { class: 'me-name' }, user.fullName, user.isAdmin ? el('span', { class: 'badge' }, 'admin') : null),
    );
  }
}
