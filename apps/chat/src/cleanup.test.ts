import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat } from '../test/chat-fixture.ts';
import { deleteUnlinkedAttachments } from './cleanup.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('deleting attachments no message links', () => {
  let chat: TestChat;
  let hamlet: Client;

  beforeAll(async () => {
    chat = await startTestChat();
    hamlet = await chat.login('hamlet@zulip.test');
  });

  afterAll(async () => {
    await chat.close();
  });

  function keyOf(url: string): string {
    return decodeURIComponent(url.slice('/user_uploads/'.length));
  }

  it('removes only files unlinked for longer than the configured time, objects and records', async () => {
    const general = await hamlet.channelId('general');
    const never = await hamlet.upload('never-posted.txt', 'draft', 'text/plain');
    const posted = await hamlet.upload('posted.txt', 'kept', 'text/plain');
    await hamlet.post(general, posted.url);
    const orphaned = await hamlet.upload('orphaned.txt', 'message deleted later', 'text/plain');
    const message = await hamlet.post(general, orphaned.url);

    // Nothing is old enough yet.
    expect(await deleteUnlinkedAttachments(chat.data, chat.stores, 7 * DAY, Date.now())).toEqual({
      deleted: 0,
      bytes: 0,
    });

    const later = Date.now() + 8 * DAY;
    // The message goes away at day 8: its file starts its own seven days then.
    chat.advance(8 * DAY);
    expect((await hamlet.request('DELETE', `/api/messages/${message.id}`)).status).toBe(200);
    expect(await deleteUnlinkedAttachments(chat.data, chat.stores, 7 * DAY, later)).toEqual({ deleted: 1, bytes: 5 });
    expect(await chat.stores.uploads.head(keyOf(never.url))).toBeUndefined();
    expect(chat.data.attachment(never.id)).toBeUndefined();
    expect(await chat.stores.uploads.head(keyOf(orphaned.url))).toBeDefined();
    expect(await chat.stores.uploads.head(keyOf(posted.url))).toBeDefined();

    expect(await deleteUnlinkedAttachments(chat.data, chat.stores, 7 * DAY, later + 8 * DAY)).toEqual({
      deleted: 1,
      bytes: 21,
    });
    expect(await chat.stores.uploads.head(keyOf(orphaned.url))).toBeUndefined();
    expect(await chat.stores.uploads.head(keyOf(posted.url))).toBeDefined();
    expect((await hamlet.request('GET', posted.url)).status).toBe(200);
  });
});
