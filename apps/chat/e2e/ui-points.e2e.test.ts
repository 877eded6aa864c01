import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ACCOUNTS } from '../src/seed.ts';
import { launchChromium, logInWithKeyboard, newUserContext } from './browser.ts';
import { buildWebUi } from './build-web.ts';
import { CLOCK_START, startChatUnderTest } from './chat-under-test.ts';
import type { Backend, ChatUnderTest } from './chat-under-test.ts';
import { landscapePng } from './test-images.ts';

const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const MIB = 1024 * 1024;

interface Uploaded {
  readonly id: number;
  readonly url: string;
  readonly thumbnailUrl: string | null;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const overlaps = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Calls the app's JSON API from the page, with its session and CSRF token. */
async function api<T>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  return page.evaluate<T, { method: string; path: string; body: unknown }>(
    async ({ method, path, body }) => {
      const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const response = await fetch(path, {
        method,
        headers: { 'x-csrf-token': session.csrfToken, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as T;
    },
    { method, path, body },
  );
}

/** Uploads bytes from the page as the web UI does (raw body). */
async function upload(page: Page, name: string, bytes: Buffer, type: string): Promise<Uploaded> {
  return page.evaluate(
    async ({ name, base64, type }) => {
      const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const body = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const response = await fetch(`/api/uploads?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'x-csrf-token': session.csrfToken, 'content-type': type },
        body,
      });
      return (await response.json()) as Uploaded;
    },
    { name, base64: bytes.toString('base64'), type },
  );
}

async function channelId(page: Page, name: string): Promise<number> {
  const { channels } = await api<{ channels: { id: number; name: string }[] }>(page, 'GET', '/api/channels');
  return channels.find((channel) => channel.name === name)?.id ?? 0;
}

beforeAll(async () => {
  await buildWebUi();
  await mkdir(SCREENSHOTS, { recursive: true });
});

describe.each<Backend>(['local', 's3'])('what a new user saw, fixed (%s store)', (backend) => {
  let chat: ChatUnderTest;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const screenshot = async (name: string): Promise<void> => {
    if (backend === 'local') await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
  };

  beforeAll(async () => {
    chat = await startChatUnderTest(backend, 3 * MIB);
    browser = await launchChromium();
    context = await newUserContext(browser, chat.url, new Date(CLOCK_START.getTime() + 6 * 60 * 60 * 1000));
    page = await context.newPage();
    await page.goto('/');
    await logInWithKeyboard(
      page,
      'hamlet@zulip.test',
      SEED_ACCOUNTS.find((account) => account.email === 'hamlet@zulip.test')?.password ?? '',
    );
  });

  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (chat as ChatUnderTest | undefined)?.close();
  });

  it('opens a channel at its newest message, even when its images load after the first scroll', async () => {
    const design = await channelId(page, 'design');
    for (let index = 0; index < 12; index++) {
      const image = await upload(
        page,
        `mockup-${index}.png`,
        await landscapePng(600, 400 + index * 10, index * 25),
        'image/png',
      );
      await api(page, 'POST', `/api/channels/${design}/messages`, {
        content: `Mockup ${index}\n[mockup-${index}.png](${image.url})`,
      });
    }
    await api(page, 'POST', `/api/channels/${design}/messages`, { content: 'The newest message of all' });
    await page.goto(`/#/channels/${design}`);
    const newest = page.getByText('The newest message of all');
    await newest.waitFor();
    const feed = page.locator('.message-feed');
    // Wait for every thumbnail in view to load, then the feed must still show its end.
    await expect
      .poll(
        () =>
          feed.evaluate((element) =>
            [...element.querySelectorAll('img')]
              .filter((image) => image.getBoundingClientRect().top < element.getBoundingClientRect().bottom)
              .every((image) => image.complete),
          ),
        { timeout: 20_000 },
      )
      .toBe(true);
    await expect
      .poll(() => feed.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight), {
        timeout: 10_000,
      })
      .toBeLessThan(2);
    const feedBox = await feed.boundingBox();
    const newestBox = await newest.boundingBox();
    expect(newestBox !== null && feedBox !== null && newestBox.y + newestBox.height <= feedBox.y + feedBox.height).toBe(
      true,
    );
    await screenshot('channel-newest');
  });

  let textFile: Uploaded;

  it('shows an attachment once, as a card, and its link opens a new tab, never replacing the chat', async () => {
    const general = await channelId(page, 'general');
    textFile = await upload(page, 'notes.txt', Buffer.from('meeting notes\n'), 'text/plain');
    await api(page, 'POST', `/api/channels/${general}/messages`, {
      content: `[notes.txt](${textFile.url})\nNotes from today`,
    });
    await page.goto(`/#/channels/${general}`);
    const message = page.locator('.message').filter({ hasText: 'Notes from today' });
    await message.waitFor();
    expect(await message.locator('.message-text').textContent()).toBe('Notes from today');
    expect(await message.getByRole('link', { name: 'notes.txt', exact: true }).count()).toBe(1);
    expect(await message.locator('.file-card').count()).toBe(1);
    const chatUrl = page.url();
    const opened = context.waitForEvent('page');
    await message.getByRole('link', { name: 'notes.txt', exact: true }).click();
    const tab = await opened;
    await tab.waitForLoadState();
    expect(new URL(tab.url()).pathname).toBe(textFile.url);
    expect(await tab.locator('body').textContent()).toContain('meeting notes');
    await tab.close();
    expect(page.url()).toBe(chatUrl);
    // Every file link in the feed opens elsewhere (new tab or download), and an image opens in the lightbox.
    const targets = await page
      .locator('.message a[href^="/user_uploads/"]')
      .evaluateAll((links) =>
        links.map((link) => link.getAttribute('target') ?? (link.hasAttribute('download') ? 'download' : 'same tab')),
      );
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => target === 'same tab')).toEqual([]);
  });

  it('shows a page in words for a deleted or refused file, not JSON', async () => {
    await api(page, 'DELETE', `/api/attachments/${textFile.id}`);
    const tab = await context.newPage();
    const response = await tab.goto(textFile.url);
    expect(response?.status()).toBe(404);
    await tab.getByRole('heading', { name: 'File not available' }).waitFor();
    expect(await tab.locator('body').textContent()).not.toContain('"error"');
    await tab.getByRole('link', { name: 'Back to the chat' }).waitFor();
    if (backend === 'local') await tab.screenshot({ path: `${SCREENSHOTS}file-not-available.png` });
    await tab.close();
  });

  it('fits every thumbnail frame to its image: no band of background beside or under it', async () => {
    const general = await channelId(page, 'general');
    const tall = await upload(page, 'tall.png', await landscapePng(300, 900, 200), 'image/png');
    const wide = await upload(page, 'wide.png', await landscapePng(1600, 300, 100), 'image/png');
    await api(page, 'POST', `/api/channels/${general}/messages`, { content: `Two shapes ${tall.url} ${wide.url}` });
    await page.goto('/#/uploads');
    await page.goto(`/#/channels/${general}`);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      const previews = page.locator('.message').filter({ hasText: 'Two shapes' }).locator('.image-preview');
      await expect.poll(() => previews.count()).toBe(2);
      for (const preview of await previews.all()) {
        const gap = await preview.evaluate(async (button) => {
          const image = button.querySelector('img');
          if (image === null) return -1;
          if (!image.complete) {
            await new Promise((resolve) => {
              image.addEventListener('load', resolve, { once: true });
            });
          }
          return Math.max(
            Math.abs(button.clientWidth - image.clientWidth),
            Math.abs(button.clientHeight - image.clientHeight),
          );
        });
        expect(gap).toBeLessThanOrEqual(1);
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot('thumbnails');
  });

  it('shows notices where they do not cover the Send button, wide and narrow', async () => {
    const general = await channelId(page, 'general');
    page.on('dialog', (dialog) => {
      void dialog.accept();
    });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      const sent = await api<{ id: number }>(page, 'POST', `/api/channels/${general}/messages`, {
        content: `Soon gone at ${width}`,
      });
      // Through another view, so the channel opens afresh (a hash the page already shows changes nothing).
      await page.goto('/#/uploads');
      await page.goto(`/#/channels/${general}`);
      const message = page.locator('.message').filter({ hasText: `Soon gone at ${width}` });
      await message.waitFor();
      // Deleted behind the page's back: the page's own delete then fails and says so in a notice.
      await api(page, 'DELETE', `/api/messages/${sent.id}`);
      await message.getByRole('button', { name: 'Delete this message' }).click();
      // The newest notice (one from the run before may still be showing).
      const notice = page.locator('.notice').filter({ hasText: 'The message was not deleted' }).last();
      await notice.waitFor();
      const noticeBox = await notice.boundingBox();
      const sendBox = await page.getByRole('button', { name: 'Send' }).boundingBox();
      expect(noticeBox).not.toBeNull();
      expect(sendBox).not.toBeNull();
      if (noticeBox !== null && sendBox !== null) expect(overlaps(noticeBox, sendBox)).toBe(false);
      if (width === 390) await screenshot('notice-narrow');
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('keeps My uploads usable at 390 px wide: no sideways scrolling, every action on screen', async () => {
    await upload(
      page,
      'a-file-with-a-rather-long-name-for-a-phone-screen.pdf',
      Buffer.from('%PDF-1.4 not really'),
      'application/pdf',
    );
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/#/uploads');
    // A fresh load: no notice of the test before stays over the page in the screenshot.
    await page.reload();
    await page.getByRole('heading', { name: 'My uploads' }).waitFor();
    const deletes = page.getByRole('button', { name: /^Delete / });
    await expect.poll(() => deletes.count()).toBeGreaterThan(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const button of await deletes.all()) {
      const box = await button.boundingBox();
      expect(box !== null && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    }
    const name = page.getByRole('link', { name: 'a-file-with-a-rather-long-name-for-a-phone-screen.pdf' });
    const nameBox = await name.boundingBox();
    expect(nameBox !== null && nameBox.x + nameBox.width <= 390).toBe(true);
    await screenshot('my-uploads-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
