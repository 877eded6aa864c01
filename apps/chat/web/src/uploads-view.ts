import { deleteAttachment, fetchMyUploads } from './api.ts';
import type { MyUploads } from './api.ts';
import { describeError } from './api-failure.ts';
import { el, replaceChildren } from './dom.ts';
import { formatBytes, formatTime } from './format.ts';
import { notify } from './notices.ts';
import type { SessionState } from './session-state.ts';
import type { MyAttachment } from './types.ts';
import { quotaWarning } from './upload-limits.ts';
import type { View } from './view.ts';

function percentOf(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const percent = (part / whole) * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent).toString()}%`;
}

/** "My uploads": every file the user uploaded, where it is linked, the organization's quota use; delete files. */
export function uploadsView(state: SessionState): View {
  const heading = el('h1', { tabindex: -1 }, 'My uploads');
  const summary = el('div', { class: 'quota-summary' });
  const body = el('div', { class: 'uploads-body' }, el('p', {}, 'Loading your uploads…'));
  let disposed = false;

  /** "#general", or the people of a direct message. */
  const channelName = (channelId: number): string => {
    const channel = state.channels.find((candidate) => candidate.id === channelId);
    if (channel !== undefined) return `#${channel.name}`;
    const direct = state.directs.find((candidate) => candidate.id === channelId);
    return direct === undefined ? 'a channel you cannot see' : `direct message with ${state.directName(direct)}`;
  };

  function linkedIn(attachment: MyAttachment): HTMLElement {
    if (attachment.messages.length === 0) return el('span', { class: 'muted' }, 'Not linked in any message');
    const channels = [...new Set(attachment.messages.map((message) => message.channelId))];
    const list = el(
      'ul',
      { class: 'linked-in' },
      ...channels.map((channelId) => {
        const count = attachment.messages.filter((message) => message.channelId === channelId).length;
        return el(
          'li',
          {},
          el('a', { href: `#/channels/${channelId}` }, channelName(channelId)),
          count > 1 ? ` (${count} messages)` : '',
        );
      }),
    );
    return list;
  }

  function row(attachment: MyAttachment): HTMLTableRowElement {
    const remove = el(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete ${attachment.name}` },
      'Delete',
    );
    remove.addEventListener('click', () => {
      const linked =
        attachment.messages.length === 0 ? '' : ' Messages that link it will show a link that no longer works.';
      if (!window.confirm(`Delete ${attachment.name} for good?${linked}`)) return;
      remove.disabled = true;
      deleteAttachment(attachment.id)
        .then(async () => {
          notify(`${attachment.name} deleted.`);
          await Promise.all([load(), state.reloadRealm()]);
        })
        .catch((error: unknown) => {
          remove.disabled = false;
          notify(`${attachment.name} was not deleted: ${describeError(error)}`, 'error');
        });
    });
    return el(
      'tr',
      { 'data-attachment-id': attachment.id },
      el(
        'td',
        { class: 'upload-file' },
        attachment.thumbnailUrl === null
          ? null
          : el('img', { class: 'upload-thumb', src: attachment.thumbnailUrl, alt: '', loading: 'lazy' }),
        el(
          'span',
          {},
          el('a', { href: attachment.url, target: '_blank', rel: 'noopener' }, attachment.name),
          el('span', { class: 'muted upload-type' }, attachment.contentType),
        ),
      ),
      el('td', { class: 'numeric' }, formatBytes(attachment.size)),
      el('td', {}, el('time', { datetime: attachment.createdAt }, formatTime(attachment.createdAt))),
      el('td', {}, linkedIn(attachment)),
      el('td', {}, remove),
    );
  }

  function render(uploads: MyUploads): void {
    const mine = uploads.attachments.reduce((total, attachment) => total + attachment.size, 0);
    // Uploads under way hold their whole length against the quotas (as the server counts), so they count as used.
    const pending = uploads.pendingBytes ?? 0;
    const userPending = uploads.userPendingBytes ?? 0;
    const used = uploads.usedBytes + pending;
    const meter = el('progress', {
      max: Math.max(uploads.quotaBytes, 1),
      value: used,
      'aria-label': 'Organization quota used',
    });
    const userQuota = uploads.userQuotaBytes ?? null;
    const userUsed = (uploads.userUsedBytes ?? mine) + userPending;
    const underWay = (bytes: number): string => (bytes > 0 ? `, ${formatBytes(bytes)} of it in uploads under way` : '');
    // The organization's other users' uploads under way count as stored here: this page cannot tell them apart.
    const warning = quotaWarning(
      { maxFileUploadBytes: 0, ...uploads, usedBytes: used - userPending, userUsedBytes: userUsed - userPending },
      userPending,
    );
    replaceChildren(
      summary,
      warning === undefined ? null : el('p', { class: 'quota-warning', role: 'status' }, warning),
      userQuota === null
        ? null
        : el(
            'p',
            { class: 'quota-line' },
            el('strong', {}, formatBytes(userUsed)),
            ` of your ${formatBytes(userQuota)} quota used (${percentOf(userUsed, userQuota)}${underWay(userPending)}), ${formatBytes(Math.max(0, userQuota - userUsed))} left`,
          ),
      userQuota === null
        ? null
        : el('progress', { max: Math.max(userQuota, 1), value: userUsed, 'aria-label': 'Your quota used' }),
      el(
        'p',
        { class: 'quota-line' },
        el('strong', {}, formatBytes(used)),
        ` of ${formatBytes(uploads.quotaBytes)} used by your organization (${percentOf(used, uploads.quotaBytes)}${underWay(pending)}), ${formatBytes(Math.max(0, uploads.quotaBytes - used))} left`,
      ),
      meter,
      el(
        'p',
        { class: 'muted' },
        `Your ${uploads.attachments.length === 1 ? 'file takes' : `${uploads.attachments.length} files take`} ${formatBytes(mine)}.`,
      ),
    );
    if (uploads.attachments.length === 0) {
      replaceChildren(
        body,
        el('p', { class: 'empty' }, 'You have not uploaded any files yet. Attach files to a message to see them here.'),
      );
      return;
    }
    replaceChildren(
      body,
      el(
        'div',
        { class: 'table-scroll' },
        el(
          'table',
          { class: 'uploads-table' },
          el('caption', { class: 'visually-hidden' }, 'Files you uploaded'),
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', { scope: 'col' }, 'File'),
              el('th', { scope: 'col', class: 'numeric' }, 'Size'),
              el('th', { scope: 'col' }, 'Uploaded'),
              el('th', { scope: 'col' }, 'Linked in'),
              el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Actions')),
            ),
          ),
          el('tbody', {}, ...uploads.attachments.map(row)),
        ),
      ),
    );
  }

  async function load(): Promise<void> {
    const uploads = await fetchMyUploads();
    if (!disposed) render(uploads);
  }

  load().catch((error: unknown) => {
    replaceChildren(
      body,
      el('p', { class: 'error', role: 'alert' }, `Could not load your uploads: ${describeError(error)}`),
    );
  });

  return {
    element: el('section', { class: 'page uploads-page' }, heading, summary, body),
    heading,
    dispose: () => {
      disposed = true;
    },
  };
}
