import { api, ApiError, Me, token } from '../api';
import { h } from '../dom';

/** Asks for an API token (viewer, operator or admin) and checks it before keeping it. */
export function loginPage(root: HTMLElement, onLogin: (me: Me) => void, reason?: string): void {
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    placeholder: 'ry_…',
    required: true,
    'aria-label': 'API token',
  });
  const remember = h('input', { type: 'checkbox', name: 'remember' });
  const message = h('p', { class: 'error', role: 'alert' }, reason ?? '');
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (e) => {
        e.preventDefault();
        token.set(input.value.trim(), remember.checked);
        api<Me>('/api/v1/me').then(onLogin, (err: Error) => {
          token.clear();
          message.textContent =
            err instanceof ApiError && err.status === 401 ? 'That token is not valid (unknown or revoked).' : err.message;
        });
      },
    },
    h('h1', {}, 'Runyard'),
    h('label', {}, 'API token', input),
    h('label', { class: 'inline' }, remember, ' keep me signed in on this browser'),
    h('button', { type: 'submit' }, 'Sign in'),
    message,
    h(
      'p',
      { class: 'hint' },
      'A viewer token sees runs, agents, schedules and SDK sessions; an operator token can also stop and resubmit runs and pause schedules.',
    ),
  );
  root.replaceChildren(form);
  input.focus();
}
