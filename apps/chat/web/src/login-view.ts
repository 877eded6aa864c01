import { logIn } from './api.ts';
import { describeError } from './api-failure.ts';
import { el } from './dom.ts';
import type { User } from './types.ts';

/** The sign-in form; `onLoggedIn` gets the user once the server accepted the password. */
export function loginView(onLoggedIn: (user: User) => void): HTMLElement {
  const email = el('input', {
    id: 'login-email',
    name: 'email',
    type: 'email',
    autocomplete: 'username',
    required: true,
  });
  const password = el('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = el('p', { class: 'form-error', role: 'alert' });
  const submit = el('button', { type: 'submit', class: 'primary wide' }, 'Log in');
  const form = el(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-title' },
    el('h1', { id: 'login-title' }, 'Log in to Stowage chat'),
    el('div', { class: 'field' }, el('label', { for: 'login-email' }, 'Email'), email),
    el('div', { class: 'field' }, el('label', { for: 'login-password' }, 'Password'), password),
    error,
    submit,
    el('p', { class: 'muted small' }, "The demo accounts and their passwords are listed in the app's README."),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    logIn(email.value, password.value).then(onLoggedIn, (failure: unknown) => {
      error.textContent = describeError(failure);
      submit.disabled = false;
      password.select();
    });
  });
  queueMicrotask(() => {
    email.focus();
  });
  return el(
    'main',
    { class: 'login-page' },
    el('div', { class: 'login-card' }, el('div', { class: 'login-brand', 'aria-hidden': 'true' }, 'Stowage'), form),
  );
}
