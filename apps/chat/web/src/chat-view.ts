import {
  currentCsrfToken,
  deleteMessage,
  fetchDirectConversations,
  fetchMessages,
  sendMessage,
  startDirectConversation,
} from './api.ts';
import { describeError } from './api-failure.ts';
import { avatarElement } from './avatar.ts';
import { chooseFiles, el, handler, replaceChildren } from './dom.ts';
import { EmojiPicker } from './emoji-picker.ts';
import { icon } from './icons.ts';
import { messageElement } from './message-view.ts';
import { uploadLinkText } from './message-text.ts';
import { notify } from './notices.ts';
import type { SessionState } from './session-state.ts';
import type { Channel, DirectConversation, Message } from './types.ts';
import { quotaWarning } from './upload-limits.ts';
import type { UploadLimits } from './upload-limits.ts';
import { UploadTray } from './upload-tray.ts';
import type { View } from './view.ts';

const POLL_MS = 4000;
/** Where a person lands after logging in, as in Zulip. */
const DEFAULT_CHANNEL = 'general';
/** At most this often, a `:name:` the page does not know makes it fetch the emoji list again. */
const EMOJI_RECHECK_MS = 30_000;
const EMOJI_MENTION = /:([a-z0-9_-]{1,60}):/gu;
/** Messages fetched at a time; a full page means there may be older ones. */
const PAGE_SIZE = 50;
/** How close to the bottom counts as "reading the newest", so new messages scroll into view. */
const NEAR_BOTTOM_PX = 120;

function peopleList(state: SessionState): HTMLElement {
  return el(
    'section',
    { class: 'people', 'aria-labelledby': 'people-title' },
    el('h2', { id: 'people-title' }, 'People'),
    el(
      'ul',
      { 'aria-label': 'People' },
      ...state.users.map((user) =>
        el(
          'li',
          { 'data-user-id': user.id },
          avatarElement(user, user.avatarUrl, 'small'),
          el('span', {}, user.fullName),
        ),
      ),
    ),
  );
}

function channelList(state: SessionState, current: Channel): HTMLElement {
  return el(
    'nav',
    { class: 'channel-list', 'aria-label': 'Channels' },
    el('h2', {}, 'Channels'),
    el(
      'ul',
      {},
      ...state.channels.map((channel) =>
        el(
          'li',
          {},
          el(
            'a',
            { href: `#/channels/${channel.id}`, 'aria-current': channel.id === current.id ? 'page' : undefined },
            icon(channel.isPrivate ? 'lock' : 'hash'),
            el('span', {}, channel.name),
            channel.isPrivate ? el('span', { class: 'visually-hidden' }, ' (private)') : null,
          ),
        ),
      ),
    ),
  );
}

/** A picker of the organization's other people; "Start" opens the direct conversation with those ticked. */
function newDirectForm(state: SessionState): HTMLElement {
  const others = state.users.filter((user) => user.id !== state.user.id);
  const boxes = others.map((user) =>
    el('input', { type: 'checkbox', name: 'member', value: user.id, id: `dm-member-${user.id}` }),
  );
  const problem = el('p', { class: 'composer-error', role: 'alert' });
  const start = el('button', { type: 'submit', class: 'primary small-button' }, 'Start');
  const form = el(
    'form',
    { class: 'new-direct', 'aria-label': 'New direct message', hidden: true },
    el(
      'fieldset',
      {},
      el('legend', {}, 'Write to'),
      ...others.map((user, index) =>
        el(
          'label',
          { for: `dm-member-${user.id}` },
          boxes[index],
          avatarElement(user, user.avatarUrl, 'small'),
          el('span', {}, user.fullName),
        ),
      ),
    ),
    problem,
    start,
  );
  form.addEventListener(
    'submit',
    handler<SubmitEvent>(
      async (event) => {
        event.preventDefault();
        const ids = boxes.filter((box) => box.checked).map((box) => Number(box.value));
        if (ids.length === 0) {
          problem.textContent = 'Tick at least one person.';
          return;
        }
        start.disabled = true;
        try {
          const conversation = await startDirectConversation(ids);
          await state.reloadDirects();
          location.hash = `#/channels/${conversation.id}`;
        } finally {
          start.disabled = false;
        }
      },
      (error) => {
        problem.textContent = `Could not start the conversation: ${describeError(error)}`;
      },
    ),
  );
  return form;
}

function directList(state: SessionState, currentId: number): HTMLElement {
  const form = newDirectForm(state);
  const toggle = el(
    'button',
    { type: 'button', class: 'secondary small-button new-direct-button', 'aria-expanded': 'false' },
    'New direct message',
  );
  toggle.addEventListener('click', () => {
    form.hidden = !form.hidden;
    toggle.setAttribute('aria-expanded', String(!form.hidden));
  });
  return el(
    'nav',
    { class: 'channel-list direct-list', 'aria-label': 'Direct messages' },
    el('h2', {}, 'Direct messages'),
    el(
      'ul',
      {},
      ...state.directs.map((conversation) =>
        el(
          'li',
          {},
          el(
            'a',
            {
              href: `#/channels/${conversation.id}`,
              'aria-current': conversation.id === currentId ? 'page' : undefined,
            },
            el('span', {}, state.directName(conversation)),
          ),
        ),
      ),
    ),
    toggle,
    form,
  );
}

/** A direct conversation shown through the channel view: private, named after its other members. */
function directAsChannel(state: SessionState, conversation: DirectConversation): Channel & { readonly direct: true } {
  return { id: conversation.id, name: state.directName(conversation), isPrivate: true, subscribed: true, direct: true };
}

/** The conversation of one channel: the message feed, the composer with attachments, polling for new messages. */
export function chatView(state: SessionState, channelId: number | undefined): View {
  const direct = state.directs.find((candidate) => candidate.id === channelId);
  const channel: (Channel & { readonly direct?: true }) | undefined =
    (direct === undefined ? undefined : directAsChannel(state, direct)) ??
    state.channels.find((candidate) => candidate.id === channelId) ??
    state.channels.find((candidate) => candidate.name === DEFAULT_CHANNEL) ??
    state.channels.find((candidate) => !candidate.isPrivate) ??
    state.channels[0];
  if (channel === undefined) {
    const heading = el('h1', { tabindex: -1 }, 'No channels');
    return {
      element: el('section', { class: 'page' }, heading, el('p', {}, 'You cannot see any channel yet.')),
      heading,
      dispose: () => undefined,
    };
  }
  const isDirect = channel.direct === true;
  const heading = el('h1', { tabindex: -1 }, isDirect ? null : icon(channel.isPrivate ? 'lock' : 'hash'), channel.name);
  const feed = el('ol', { class: 'message-feed', 'aria-label': `Messages in ${channel.name}`, tabindex: 0 });
  const status = el('p', { class: 'feed-status' }, 'Loading messages…');
  const target = isDirect ? channel.name : `#${channel.name}`;
  const input = el('textarea', {
    id: 'message-input',
    rows: 2,
    placeholder: `Message ${target}`,
    'aria-label': `Message ${target}`,
    maxlength: 10000,
  });
  const sendButton = el('button', { type: 'submit', class: 'primary' }, 'Send');
  const attachButton = el(
    'button',
    { type: 'button', class: 'secondary attach-button', title: 'Attach files (you can also drop or paste them)' },
    icon('attach'),
    el('span', {}, 'Attach files'),
  );
  const composerError = el('p', { class: 'composer-error', role: 'alert' });
  const dropHint = el('div', { class: 'drop-hint', 'aria-hidden': 'true' }, 'Drop files to attach them');

  /** What the feed shows: pages fetched with "Show older messages", then the newest page, which polling refreshes. */
  let messages: readonly Message[] = [];
  let mayHaveOlder = false;
  let shownSignature = '';
  const olderButton = el('button', { type: 'button', class: 'secondary small-button' }, 'Show older messages');
  const olderItem = el('li', { class: 'older-messages' }, olderButton);
  let disposed = false;
  let emojiCheckedAt = -EMOJI_RECHECK_MS;

  const quotaLine = el('p', { class: 'quota-warning', role: 'status' });
  /** Bytes of uploads finished here since the quota use was last fetched: stored, so used, until the next fetch. */
  let settledBytes = 0;
  const limits = (): UploadLimits => ({
    ...state.realm,
    usedBytes: state.realm.usedBytes + settledBytes,
    userUsedBytes: (state.realm.userUsedBytes ?? 0) + settledBytes,
  });
  function showQuota(): void {
    quotaLine.textContent = quotaWarning(limits(), tray.pendingBytes) ?? '';
  }
  function reloadQuota(): void {
    const counted = settledBytes;
    state.reloadRealm().then(
      () => {
        settledBytes -= counted;
        showQuota();
      },
      () => undefined,
    );
  }

  const tray = new UploadTray({
    limits,
    csrfToken: currentCsrfToken,
    userId: () => state.user.id,
    onUploaded: (uploaded) => {
      settledBytes += uploaded.size;
      insertAtCursor(uploadLinkText(uploaded.name, uploaded.url));
    },
    onChange: () => {
      showQuota();
      // Once the last upload ends, learn the quota use the server now counts (others upload too).
      if (tray.pending === 0) reloadQuota();
      sendButton.disabled = tray.pending > 0;
      sendButton.textContent = tray.pending > 0 ? 'Uploading…' : 'Send';
    },
  });

  // An upload cut short by a reload or a closed tab is listed, so the user knows to pick the file again.
  tray.showUnfinished().catch(() => undefined);

  function insertAtCursor(text: string): void {
    const before = input.value.slice(0, input.selectionStart);
    const after = input.value.slice(input.selectionEnd);
    const spacer = before === '' || before.endsWith('\n') ? '' : '\n';
    input.value = `${before}${spacer}${text}\n${after}`;
    const at = before.length + spacer.length + text.length + 1;
    input.setSelectionRange(at, at);
  }

  function render(): void {
    const signature = JSON.stringify([
      mayHaveOlder,
      messages.map((message) => [message.id, message.sender.avatarUrl]),
      state.emoji.map((item) => item.id),
    ]);
    if (signature === shownSignature) return;
    shownSignature = signature;
    const nearBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < NEAR_BOTTOM_PX;
    const mayDeleteAll = state.user.isAdmin;
    const fromBottom = feed.scrollHeight - feed.scrollTop;
    replaceChildren(
      feed,
      mayHaveOlder ? olderItem : null,
      ...messages.map((message) =>
        messageElement(message, state.emoji, {
          onDelete: mayDeleteAll || message.sender.id === state.user.id ? confirmDelete : undefined,
        }),
      ),
    );
    status.textContent = messages.length === 0 ? 'No messages yet: say hello.' : '';
    // Keep the reader's place: at the bottom when they were there, else the same distance from it.
    pinnedToBottom = nearBottom || feed.dataset.loaded === undefined;
    feed.scrollTop = pinnedToBottom ? feed.scrollHeight : feed.scrollHeight - fromBottom;
    feed.dataset.loaded = 'true';
  }

  /**
   * Whether the feed shows its newest message and should keep doing so. Thumbnails and videos get their height only
   * once they load, after the feed was scrolled: each load pushes the newest message down again unless re-pinned.
   */
  let pinnedToBottom = true;
  let lastScrollTop = 0;
  feed.addEventListener('scroll', () => {
    // Only the reader scrolling up unpins: content growing above (an image loading) moves no scrollTop, and a scroll
    // event may arrive after such growth, when the distance to the bottom no longer says what the reader did.
    const nearBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < NEAR_BOTTOM_PX;
    if (nearBottom) pinnedToBottom = true;
    else if (feed.scrollTop < lastScrollTop - 1) pinnedToBottom = false;
    lastScrollTop = feed.scrollTop;
  });
  const keepPinned = (): void => {
    if (pinnedToBottom) feed.scrollTop = feed.scrollHeight;
  };
  // `load` does not bubble; listening in the capture phase sees every image and video inside the feed.
  feed.addEventListener('load', keepPinned, true);
  feed.addEventListener('loadedmetadata', keepPinned, true);

  async function refresh(): Promise<void> {
    if (channel === undefined) return;
    const newest = await fetchMessages(channel.id, PAGE_SIZE);
    if (disposed) return;
    if (feed.dataset.loaded === undefined) mayHaveOlder = newest.length === PAGE_SIZE;
    const firstNewest = newest[0]?.id ?? Number.POSITIVE_INFINITY;
    messages = [...messages.filter((message) => message.id < firstNewest), ...newest];
    render();
    if (mentionsUnknownEmoji() && performance.now() - emojiCheckedAt > EMOJI_RECHECK_MS) {
      // Someone may have added an emoji since this page loaded.
      emojiCheckedAt = performance.now();
      await state.reloadEmoji();
    }
  }

  olderButton.addEventListener(
    'click',
    handler(
      async () => {
        const first = messages[0];
        if (first === undefined) return;
        olderButton.disabled = true;
        try {
          const page = await fetchMessages(channel.id, PAGE_SIZE, first.id);
          mayHaveOlder = page.length === PAGE_SIZE;
          messages = [...page, ...messages];
          render();
        } finally {
          olderButton.disabled = false;
        }
      },
      (error) => {
        notify(`Could not load older messages: ${describeError(error)}`, 'error');
      },
    ),
  );

  function mentionsUnknownEmoji(): boolean {
    const known = state.emojiNames();
    return messages.some((message) =>
      [...message.content.matchAll(EMOJI_MENTION)].some((match) => !known.has(match[1] ?? '')),
    );
  }

  function confirmDelete(message: Message): void {
    if (!window.confirm("Delete this message? Files it links stay in their owners' uploads.")) return;
    deleteMessage(message.id)
      .then(async () => {
        messages = messages.filter((shown) => shown.id !== message.id);
        await refresh();
      })
      .catch((error: unknown) => {
        notify(`The message was not deleted: ${describeError(error)}`, 'error');
      });
  }

  const send = handler<SubmitEvent>(
    async (event) => {
      event.preventDefault();
      const content = input.value.trim();
      if (content === '' || tray.pending > 0) return;
      composerError.textContent = '';
      sendButton.disabled = true;
      try {
        await sendMessage(channel.id, content);
        input.value = '';
        await refresh();
        feed.scrollTop = feed.scrollHeight;
      } finally {
        sendButton.disabled = tray.pending > 0;
      }
    },
    (error) => {
      composerError.textContent = `Not sent: ${describeError(error)}`;
    },
  );

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    tray.add(files);
  });
  attachButton.addEventListener(
    'click',
    handler(
      async () => {
        tray.add(await chooseFiles('', true));
        input.focus();
      },
      (error) => {
        notify(describeError(error), 'error');
      },
    ),
  );

  const emojiPicker = new EmojiPicker((text) => {
    const before = input.value.slice(0, input.selectionStart);
    const spacer = before === '' || /\s$/u.test(before) ? '' : ' ';
    input.setRangeText(`${spacer}${text} `, input.selectionStart, input.selectionEnd, 'end');
    input.focus();
  });
  emojiPicker.show(state.emoji);

  const form = el(
    'form',
    { class: 'composer', 'aria-label': 'Write a message' },
    tray.element,
    quotaLine,
    input,
    composerError,
    el(
      'div',
      { class: 'composer-actions' },
      attachButton,
      emojiPicker.element,
      el('span', { class: 'composer-hint' }, 'Enter sends · Shift+Enter adds a line · drop or paste files to attach'),
      sendButton,
    ),
  );
  form.addEventListener('submit', send);

  const conversation = el(
    'section',
    { class: 'conversation', 'aria-labelledby': 'conversation-title' },
    el('header', { class: 'conversation-header', id: 'conversation-title' }, heading),
    feed,
    status,
    form,
    dropHint,
  );

  const carriesFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes('Files') === true;
  conversation.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    conversation.classList.add('dragging');
  });
  conversation.addEventListener('dragleave', (event) => {
    if (event.relatedTarget instanceof Node && conversation.contains(event.relatedTarget)) return;
    conversation.classList.remove('dragging');
  });
  conversation.addEventListener('drop', (event) => {
    conversation.classList.remove('dragging');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    tray.add(files);
  });

  showQuota();
  const showLoadError = (error: unknown): void => {
    status.textContent = `Could not load messages: ${describeError(error)}`;
  };
  void refresh().catch(showLoadError);
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') void refresh().catch(showLoadError);
  }, POLL_MS);
  let people = peopleList(state);
  let directs = directList(state, channel.id);
  let directsSignature = JSON.stringify(state.directs.map((conversation) => conversation.id));
  // Someone may start a conversation with this person: look for new ones now and then.
  const directTimer = setInterval(() => {
    if (document.visibilityState !== 'visible') return;
    fetchDirectConversations().then(
      (found) => {
        const signature = JSON.stringify(found.map((conversation) => conversation.id));
        if (disposed || signature === directsSignature) return;
        directsSignature = signature;
        state.directs = found;
        const updated = directList(state, channel.id);
        directs.replaceWith(updated);
        directs = updated;
      },
      () => undefined,
    );
  }, POLL_MS * 3);
  const stopListening = state.onChange(() => {
    const updated = peopleList(state);
    people.replaceWith(updated);
    people = updated;
    const updatedDirects = directList(state, channel.id);
    directs.replaceWith(updatedDirects);
    directs = updatedDirects;
    directsSignature = JSON.stringify(state.directs.map((conversation) => conversation.id));
    emojiPicker.show(state.emoji);
    showQuota();
    shownSignature = '';
    void refresh().catch(showLoadError);
  });

  return {
    element: el(
      'div',
      { class: 'chat-layout' },
      el('div', { class: 'sidebar' }, channelList(state, channel), directs, people),
      conversation,
    ),
    heading,
    dispose: () => {
      disposed = true;
      clearInterval(timer);
      clearInterval(directTimer);
      stopListening();
      tray.cancelAll();
    },
  };
}
