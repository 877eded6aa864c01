import { addEmoji, deleteEmoji, fetchApiKey, removeAvatar, setQuotas, uploadAvatar, uploadRealmImage } from './api.ts';
import type { RealmImageKind } from './api.ts';
import { describeError } from './api-failure.ts';
import { avatarElement } from './avatar.ts';
import { chooseFiles, el, replaceChildren } from './dom.ts';
import { notify } from './notices.ts';
import type { SessionState } from './session-state.ts';
import { imageProblem } from './upload-limits.ts';
import type { View } from './view.ts';

const DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const IMAGE_TYPES = 'image/png,image/jpeg,image/gif,image/webp,image/avif,image/tiff';
const EMOJI_NAME = /^[a-z0-9_-]{1,60}$/u;

function statusLine(): HTMLParagraphElement {
  return el('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
}

function showStatus(line: HTMLElement, text: string, kind: 'ok' | 'error'): void {
  line.textContent = text;
  line.dataset.kind = kind;
}

/** Profile (avatar), organization images for admins, and the organization's custom emoji. */
const MIB = 1024 * 1024;

/** The organization's upload quota and the per-user one (empty: none), in MiB. */
function quotaForm(state: SessionState): HTMLFormElement {
  const realmInput = el('input', {
    id: 'quota-realm',
    type: 'number',
    min: 1,
    step: 1,
    required: true,
    value: Math.round(state.realm.quotaBytes / MIB),
  });
  const userQuota = state.realm.userQuotaBytes ?? null;
  const userInput = el('input', {
    id: 'quota-user',
    type: 'number',
    min: 1,
    step: 1,
    value: userQuota === null ? '' : Math.round(userQuota / MIB),
    placeholder: 'none',
  });
  const status = statusLine();
  const form = el(
    'form',
    { class: 'quota-form', 'aria-label': 'Upload quotas' },
    el('div', { class: 'field' }, el('label', { for: 'quota-realm' }, 'Organization upload quota (MiB)'), realmInput),
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'quota-user' }, 'Per-user upload quota (MiB, empty for none)'),
      userInput,
    ),
    el('button', { type: 'submit', class: 'primary' }, 'Save quotas'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const perUser = userInput.value.trim() === '' ? null : Number(userInput.value);
    setQuotas(Number(realmInput.value), perUser)
      .then(async () => {
        await state.reloadRealm();
        showStatus(status, 'Quotas saved.', 'ok');
      })
      .catch((error: unknown) => {
        showStatus(status, describeError(error), 'error');
      });
  });
  return form;
}

export function settingsView(state: SessionState): View {
  const heading = el('h1', { tabindex: -1 }, 'Settings');
  const maxImageBytes = (): number => state.realm.maxImageUploadBytes ?? DEFAULT_MAX_IMAGE_BYTES;

  /** Lets the person pick one image, checks it here first, then hands it to `store`. */
  async function pickImage(line: HTMLElement, store: (file: File) => Promise<string>): Promise<void> {
    const [file] = await chooseFiles(IMAGE_TYPES, false);
    if (file === undefined) return;
    const problem = imageProblem(file.name, file.size, file.type, maxImageBytes());
    if (problem !== undefined) {
      showStatus(line, problem, 'error');
      return;
    }
    showStatus(line, `Uploading ${file.name}…`, 'ok');
    try {
      showStatus(line, await store(file), 'ok');
    } catch (error) {
      showStatus(line, describeError(error), 'error');
    }
  }

  // Profile.
  const avatarStatus = statusLine();
  const avatarPreview = el('div', { class: 'avatar-preview' });
  const removeButton = el('button', { type: 'button', class: 'secondary' }, 'Remove avatar');
  const changeButton = el('button', { type: 'button', class: 'primary' }, 'Upload a new avatar');
  changeButton.addEventListener('click', () => {
    void pickImage(avatarStatus, async (file) => {
      await uploadAvatar(file);
      await state.reloadUser();
      return 'Your new avatar is saved; everyone sees it now.';
    });
  });
  removeButton.addEventListener('click', () => {
    removeAvatar()
      .then(() => state.reloadUser())
      .then(() => {
        showStatus(avatarStatus, 'Your avatar was removed.', 'ok');
      })
      .catch((error: unknown) => {
        showStatus(avatarStatus, describeError(error), 'error');
      });
  });
  const profile = el(
    'section',
    { class: 'settings-section', 'aria-labelledby': 'profile-title' },
    el('h2', { id: 'profile-title' }, 'Your profile'),
    el(
      'div',
      { class: 'profile-row' },
      avatarPreview,
      el(
        'div',
        {},
        el('p', { class: 'profile-name' }, state.user.fullName),
        el('p', { class: 'muted' }, state.user.email),
        el('div', { class: 'button-row' }, changeButton, removeButton),
        el('p', { class: 'muted small' }, 'PNG, JPEG, GIF or WebP; cropped to a square.'),
        avatarStatus,
      ),
    ),
  );

  // API key for Zulip's clients (mobile, terminal, scripts): shown on request, as Zulip's settings do.
  const apiKeyStatus = statusLine();
  const apiKeyValue = el('code', { class: 'api-key', 'aria-label': 'Your API key' });
  apiKeyValue.hidden = true;
  const showKeyButton = el('button', { type: 'button', class: 'secondary' }, 'Show API key');
  showKeyButton.addEventListener('click', () => {
    fetchApiKey()
      .then(({ apiKey }) => {
        apiKeyValue.textContent = apiKey;
        apiKeyValue.hidden = false;
        showKeyButton.hidden = true;
      })
      .catch((error: unknown) => {
        showStatus(apiKeyStatus, describeError(error), 'error');
      });
  });
  const apiKeySection = el(
    'section',
    { class: 'settings-section', 'aria-labelledby': 'api-key-title' },
    el('h2', { id: 'api-key-title' }, 'API key'),
    el(
      'p',
      { class: 'muted small' },
      `Zulip's apps and scripts sign in with your email (${state.user.email}) and this key.`,
    ),
    showKeyButton,
    apiKeyValue,
    apiKeyStatus,
  );

  // Organization images (admins).
  const realmPreviews = el('div', { class: 'realm-images' });
  const realmStatus = statusLine();
  const realmImages: readonly { kind: RealmImageKind; label: string; hint: string }[] = [
    { kind: 'icon', label: 'Icon', hint: 'Square, shown at 100 px' },
    { kind: 'logo', label: 'Logo', hint: 'Fits in 800 × 100 px' },
    { kind: 'night_logo', label: 'Night logo', hint: 'For dark backgrounds' },
  ];
  const organization = state.user.isAdmin
    ? el(
        'section',
        { class: 'settings-section', 'aria-labelledby': 'organization-title' },
        el('h2', { id: 'organization-title' }, `Organization: ${state.realm.name}`),
        realmPreviews,
        realmStatus,
        quotaForm(state),
      )
    : null;

  // Custom emoji.
  const emojiList = el('ul', { class: 'emoji-list', 'aria-label': 'Custom emoji' });
  const emojiStatus = statusLine();
  const nameInput = el('input', {
    id: 'emoji-name',
    name: 'name',
    required: true,
    pattern: '[a-z0-9_\\-]{1,60}',
    maxlength: 60,
    autocomplete: 'off',
    placeholder: 'party_parrot',
  });
  const fileInput = el('input', { id: 'emoji-file', name: 'file', type: 'file', accept: IMAGE_TYPES, required: true });
  const emojiForm = el(
    'form',
    { class: 'emoji-form' },
    el('div', { class: 'field' }, el('label', { for: 'emoji-name' }, 'Name'), nameInput),
    el('div', { class: 'field' }, el('label', { for: 'emoji-file' }, 'Image'), fileInput),
    el('button', { type: 'submit', class: 'primary' }, 'Add emoji'),
  );
  emojiForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    const file = fileInput.files?.[0];
    if (!EMOJI_NAME.test(name)) {
      showStatus(emojiStatus, 'Emoji names are 1 to 60 of a–z, 0–9, "_" and "-".', 'error');
      return;
    }
    if (file === undefined) {
      showStatus(emojiStatus, 'Choose an image for the emoji.', 'error');
      return;
    }
    const problem = imageProblem(file.name, file.size, file.type, maxImageBytes());
    if (problem !== undefined) {
      showStatus(emojiStatus, problem, 'error');
      return;
    }
    addEmoji(name, file)
      .then(async () => {
        emojiForm.reset();
        await state.reloadEmoji();
        showStatus(emojiStatus, `Added :${name}:. Type :${name}: in a message to use it.`, 'ok');
      })
      .catch((error: unknown) => {
        showStatus(emojiStatus, describeError(error), 'error');
      });
  });
  const emojiSection = el(
    'section',
    { class: 'settings-section', 'aria-labelledby': 'emoji-title' },
    el('h2', { id: 'emoji-title' }, 'Custom emoji'),
    emojiList,
    emojiForm,
    emojiStatus,
  );

  function render(): void {
    replaceChildren(
      avatarPreview,
      avatarElement(state.user, state.user.avatarMediumUrl ?? state.user.avatarUrl, 'large'),
    );
    removeButton.hidden = state.user.avatarUrl === null;
    replaceChildren(
      realmPreviews,
      ...realmImages.map(({ kind, label, hint }) => {
        const url =
          kind === 'icon' ? state.realm.iconUrl : kind === 'logo' ? state.realm.logoUrl : state.realm.nightLogoUrl;
        const button = el(
          'button',
          { type: 'button', class: 'secondary' },
          url === null ? `Upload ${label.toLowerCase()}` : `Change ${label.toLowerCase()}`,
        );
        button.addEventListener('click', () => {
          void pickImage(realmStatus, async (file) => {
            await uploadRealmImage(kind, file);
            await state.reloadRealm();
            return `The organization ${label.toLowerCase()} is updated.`;
          });
        });
        return el(
          'figure',
          { class: `realm-image realm-image-${kind}` },
          url === null
            ? el('div', { class: 'realm-image-empty' }, 'None yet')
            : el('img', { src: url, alt: `Organization ${label.toLowerCase()}` }),
          el('figcaption', {}, el('strong', {}, label), el('span', { class: 'muted small' }, hint), button),
        );
      }),
    );
    if (state.emoji.length === 0) {
      replaceChildren(emojiList, el('li', { class: 'muted' }, 'No custom emoji yet.'));
    } else {
      replaceChildren(
        emojiList,
        ...state.emoji.map((item) => {
          const mayDelete = item.authorId === state.user.id || state.user.isAdmin;
          const remove = mayDelete
            ? el('button', { type: 'button', class: 'link-button', 'aria-label': `Remove :${item.name}:` }, 'Remove')
            : null;
          remove?.addEventListener('click', () => {
            deleteEmoji(item.id)
              .then(() => state.reloadEmoji())
              .catch((error: unknown) => {
                notify(`:${item.name}: was not removed: ${describeError(error)}`, 'error');
              });
          });
          return el(
            'li',
            {},
            el('img', { class: 'emoji-large', src: item.url, alt: '' }),
            el('code', {}, `:${item.name}:`),
            remove,
          );
        }),
      );
    }
  }

  render();
  const stopListening = state.onChange(render);
  // Others add emoji too: show the organization's current list.
  state.reloadEmoji().catch((error: unknown) => {
    showStatus(emojiStatus, `Could not load the emoji list: ${describeError(error)}`, 'error');
  });
  return {
    element: el(
      'section',
      { class: 'page settings-page' },
      heading,
      profile,
      apiKeySection,
      organization,
      emojiSection,
    ),
    heading,
    dispose: stopListening,
  };
}
