import { fetchSession, onSessionEnded } from './api.ts';
import { describeError } from './api-failure.ts';
import { AppShell } from './app-shell.ts';
import type { Section } from './app-shell.ts';
import { chatView } from './chat-view.ts';
import { el, replaceChildren } from './dom.ts';
import { loginView } from './login-view.ts';
import { notify } from './notices.ts';
import { SessionState } from './session-state.ts';
import { settingsView } from './settings-view.ts';
import type { User } from './types.ts';
import { uploadsView } from './uploads-view.ts';
import type { View } from './view.ts';

const root = document.getElementById('app') ?? document.body;

/** Where a login that interrupted a file link (`/?next=/user_uploads/...`) should return to. */
function nextFileLink(): string | undefined {
  const next = new URLSearchParams(location.search).get('next');
  return next !== null && next.startsWith('/user_uploads/') ? next : undefined;
}

function route(): { section: Section; channelId: number | undefined } {
  const [, first, second] = location.hash.replace(/^#/u, '').split('/');
  if (first === 'uploads') return { section: 'uploads', channelId: undefined };
  if (first === 'settings') return { section: 'settings', channelId: undefined };
  const channelId = first === 'channels' ? Number(second) : Number.NaN;
  return { section: 'chat', channelId: Number.isInteger(channelId) ? channelId : undefined };
}

function showLogin(): void {
  document.title = 'Log in · Stowage chat';
  replaceChildren(
    root,
    loginView((user) => {
      const next = nextFileLink();
      if (next !== undefined) {
        location.assign(next);
        return;
      }
      void showApp(user);
    }),
  );
}

async function showApp(user: User): Promise<void> {
  const state = await SessionState.load(user);
  let current: View | undefined;
  let ended = false;
  const leave = (): void => {
    if (ended) return;
    ended = true;
    current?.dispose();
    window.removeEventListener('hashchange', navigate);
    history.replaceState(null, '', '/');
  };
  const shell = new AppShell(state, () => {
    leave();
    void start();
  });
  onSessionEnded(() => {
    if (ended) return;
    leave();
    notify('Your session has ended; please log in again.', 'error');
    void start();
  });
  function navigate(): void {
    const { section, channelId } = route();
    current?.dispose();
    current =
      section === 'uploads'
        ? uploadsView(state)
        : section === 'settings'
          ? settingsView(state)
          : chatView(state, channelId);
    shell.select(section);
    replaceChildren(shell.main, current.element);
    const title =
      section === 'uploads' ? 'My uploads' : section === 'settings' ? 'Settings' : current.heading.textContent;
    document.title = `${title} · ${state.realm.name}`;
    if (
      document.activeElement === document.body ||
      document.activeElement === null ||
      !shell.main.contains(document.activeElement)
    ) {
      current.heading.focus({ preventScroll: true });
    }
  }
  window.addEventListener('hashchange', navigate);
  replaceChildren(root, shell.element);
  navigate();
}

async function start(): Promise<void> {
  const session = await fetchSession();
  if (session.user === null) showLogin();
  else await showApp(session.user);
}

start().catch((error: unknown) => {
  replaceChildren(
    root,
    el(
      'main',
      { class: 'page' },
      el('h1', {}, 'Stowage chat could not start'),
      el('p', { role: 'alert' }, describeError(error)),
    ),
  );
});
