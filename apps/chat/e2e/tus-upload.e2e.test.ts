import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, CDPSession, Locator, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ACCOUNTS } from '../src/seed.ts';
import { formatBytes } from '../web/src/format.ts';
import { CHUNK_BYTES, TUS_ENDPOINT } from '../web/src/upload-request.ts';
import { launchChromium, logInWithKeyboard, newUserContext } from './browser.ts';
import { buildWebUi } from './build-web.ts';
import { CLOCK_START, startChatUnderTest } from './chat-under-test.ts';
import type { Backend, ChatUnderTest } from './chat-under-test.ts';

const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const MIB = 1024 * 1024;
/** Several chunks, so chunking, resuming mid-file and the last short chunk all happen. */
const FILE_BYTES = 2 * CHUNK_BYTES + 3 * MIB;
/** Slow enough to reload or cancel mid-upload, fast enough for a test. */
const THROTTLED_BYTES_PER_SECOND = 2 * MIB;
/** Generous: a busy 2-core machine moves a few MiB through a browser slowly. */
const TEST_TIMEOUT_MS = 180_000;

/** One request of the tus protocol as the browser made it. */
interface TusExchange {
  readonly method: string;
  readonly url: string;
  /** `Upload-Offset` sent (PATCH) */
  readonly requestOffset: number | undefined;
  readonly status: number;
  /** `Upload-Offset` answered (HEAD, PATCH) */
  readonly responseOffset: number | undefined;
  /** The created upload's address (POST) */
  readonly location: string | undefined;
}

const offsetOf = (value: string | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);

/** Records every tus request the page makes, with the offsets sent and answered. */
function recordTus(page: Page): TusExchange[] {
  const exchanges: TusExchange[] = [];
  page.on('response', (response: Response) => {
    const request = response.request();
    if (!new URL(request.url()).pathname.startsWith(TUS_ENDPOINT)) return;
    const location = response.headers().location;
    exchanges.push({
      method: request.method(),
      url: request.url(),
      requestOffset: offsetOf(request.headers()['upload-offset']),
      status: response.status(),
      responseOffset: offsetOf(response.headers()['upload-offset']),
      location: location === undefined ? undefined : new URL(location, request.url()).href,
    });
  });
  return exchanges;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function throttle(cdp: CDPSession, bytesPerSecond: number): Promise<void> {
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

/** The page's remembered unfinished uploads (tus-js-client keeps their addresses in localStorage). */
async function rememberedUploads(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('tus::')));
}

describe.each<Backend>(['local', 's3'])(
  'resumable uploads from the web UI on the %s store',
  { timeout: TEST_TIMEOUT_MS },
  (backend) => {
    let chat: ChatUnderTest;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let files: string;
    const screenshot = async (name: string): Promise<void> => {
      if (backend === 'local') await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
    };
    const messageBox = (): Locator => page.getByRole('textbox', { name: 'Message #general' });
    const tray = (): Locator => page.getByRole('list', { name: 'Uploads' });

    /** A file of random bytes on disk: picked twice, it is the same file (same name, size and modification time). */
    async function randomFile(name: string): Promise<{ path: string; bytes: Buffer }> {
      const bytes = randomBytes(FILE_BYTES);
      const path = join(files, name);
      await writeFile(path, bytes);
      return { path, bytes };
    }

    async function pick(path: string): Promise<void> {
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: 'Attach files' }).click();
      await (await chooser).setFiles(path);
    }

    /** The link the composer got for `name`, once the upload completed. */
    async function linkInComposer(name: string): Promise<string> {
      const pattern = new RegExp(`\\[${name.replace('.', '\\.')}\\]\\((/user_uploads/\\S+)\\)`, 'u');
      await expect.poll(() => messageBox().inputValue(), { timeout: TEST_TIMEOUT_MS }).toMatch(pattern);
      return pattern.exec(await messageBox().inputValue())?.[1] ?? '';
    }

    async function servedSha256(url: string): Promise<string> {
      const response = await context.request.get(url);
      expect(response.status()).toBe(200);
      return sha256(await response.body());
    }

    /** Objects the store holds for partial uploads. */
    async function partialObjects(): Promise<string[]> {
      const keys: string[] = [];
      for await (const object of chat.server.app.stores.uploads.list({ prefix: 'tus/' })) keys.push(object.key);
      return keys;
    }

    beforeAll(async () => {
      await buildWebUi();
      await mkdir(SCREENSHOTS, { recursive: true });
      files = await mkdtemp(join(tmpdir(), 'stowage-tus-e2e-'));
      chat = await startChatUnderTest(backend, 4 * FILE_BYTES);
      browser = await launchChromium();
      context = await newUserContext(browser, chat.url, new Date(CLOCK_START.getTime() + 6 * 60 * 60 * 1000));
      page = await context.newPage();
      await page.goto('/');
      const account = SEED_ACCOUNTS.find((candidate) => candidate.email === 'iago@zulip.test');
      await logInWithKeyboard(page, 'iago@zulip.test', account?.password ?? '');
    });

    afterAll(async () => {
      await (browser as Browser | undefined)?.close();
      await (chat as ChatUnderTest | undefined)?.close();
      await rm(files, { recursive: true, force: true });
    });

    it('uploads a file of several MiB in chunks, links it in the composer, and serves back the same bytes', async () => {
      const file = await randomFile('survey.bin');
      const exchanges = recordTus(page);
      await pick(file.path);
      const url = await linkInComposer('survey.bin');
      expect(await servedSha256(url)).toBe(sha256(file.bytes));

      // One creation, then PATCHes of at most one chunk each, from 0 to the end without a gap.
      expect(exchanges.filter((exchange) => exchange.method === 'POST').map((exchange) => exchange.status)).toEqual([
        201,
      ]);
      const patches = exchanges.filter((exchange) => exchange.method === 'PATCH');
      expect(patches.map((exchange) => exchange.requestOffset)).toEqual([0, CHUNK_BYTES, 2 * CHUNK_BYTES]);
      expect(patches.map((exchange) => exchange.responseOffset)).toEqual([CHUNK_BYTES, 2 * CHUNK_BYTES, FILE_BYTES]);
      // Complete: nothing left to resume, nothing partial in the store.
      expect(await rememberedUploads(page)).toEqual([]);
      expect(await partialObjects()).toEqual([]);
      await messageBox().fill('');
    });

    it('resumes an upload after the page is reloaded mid-way, from the offset the server has', async () => {
      const file = await randomFile('site-plan.bin');
      // A quota this upload nearly fills, so the page shows the quota line all along: it must tell the same figures
      // while sending, after the reload (the server still holds the unfinished upload's length), resuming, and done.
      const realm = chat.data.realms().find((candidate) => candidate.name === 'Zulip Dev');
      if (realm === undefined) throw new Error('seeded realm missing');
      const stored = chat.data.realmUsedBytes(realm.id);
      const quota = stored + FILE_BYTES + MIB;
      chat.setQuota(realm.name, quota);
      await page.reload();
      await page.getByRole('navigation', { name: 'Channels' }).waitFor();
      const quotaLine = page.locator('.quota-warning');
      const used = `${formatBytes(stored + FILE_BYTES)} of ${formatBytes(quota)} used`;
      const whileUploading = `Your organization's upload quota is nearly full: ${used} (${formatBytes(FILE_BYTES)} of it uploading now), ${formatBytes(MIB)} left.`;
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await throttle(cdp, THROTTLED_BYTES_PER_SECOND);
      const before = recordTus(page);
      await pick(file.path);
      // The first chunk is stored: the reload comes while the second is on its way.
      await page.waitForResponse(
        (response) =>
          response.request().method() === 'PATCH' && Number(response.headers()['upload-offset']) >= CHUNK_BYTES,
        { timeout: TEST_TIMEOUT_MS },
      );
      expect(await quotaLine.textContent()).toBe(whileUploading);
      const uploadUrl = before.find((exchange) => exchange.method === 'POST')?.location;
      expect(uploadUrl).toMatch(new RegExp(`^${chat.url}${TUS_ENDPOINT}/\\w+$`, 'u'));
      await page.reload();
      await page.getByRole('navigation', { name: 'Channels' }).waitFor();
      expect(await rememberedUploads(page)).toHaveLength(1);
      const unfinished = tray().locator('.upload-unfinished');
      expect(await unfinished.textContent()).toBe(
        `site-plan.bin (${formatBytes(FILE_BYTES)}) did not finish uploading: attach the same file again to resume.Discard`,
      );
      await expect.poll(() => quotaLine.textContent()).toBe(whileUploading);
      await screenshot('upload-unfinished');

      const after = recordTus(page);
      await throttle(cdp, THROTTLED_BYTES_PER_SECOND);
      await pick(file.path);
      const resumed = tray().locator('.upload-row[data-resumed-from]');
      await resumed.waitFor();
      expect(await unfinished.count()).toBe(0);
      const shownOffset = Number(await resumed.getAttribute('data-resumed-from'));
      expect(await quotaLine.textContent()).toBe(whileUploading);
      await screenshot('upload-resumed');
      await throttle(cdp, -1);
      await cdp.detach();
      const url = await linkInComposer('site-plan.bin');
      expect(await servedSha256(url)).toBe(sha256(file.bytes));
      await expect
        .poll(() => quotaLine.textContent())
        .toBe(`Your organization's upload quota is nearly full: ${used}, ${formatBytes(MIB)} left.`);
      chat.setQuota(realm.name, 1024 * MIB);
      await page.reload();
      await page.getByRole('navigation', { name: 'Channels' }).waitFor();

      // No new upload: a HEAD asked the server how far it got, and only the rest was sent.
      expect(after.filter((exchange) => exchange.method === 'POST')).toEqual([]);
      const [head] = after;
      expect(head?.method).toBe('HEAD');
      const resumedAt = head?.responseOffset ?? 0;
      expect(resumedAt).toBeGreaterThanOrEqual(CHUNK_BYTES);
      expect(resumedAt).toBeLessThan(FILE_BYTES);
      expect(shownOffset).toBe(resumedAt);
      const patches = after.filter((exchange) => exchange.method === 'PATCH');
      expect(patches.every((exchange) => exchange.url === head?.url && exchange.url === uploadUrl)).toBe(true);
      expect(patches[0]?.requestOffset).toBe(resumedAt);
      expect(patches.at(-1)?.responseOffset).toBe(FILE_BYTES);
      expect(await rememberedUploads(page)).toEqual([]);
      expect(await partialObjects()).toEqual([]);
      await messageBox().fill('');
    });

    it('cancels an upload mid-way, and the server drops the partial upload', async () => {
      const before = await page.evaluate(
        async () => ((await (await fetch('/api/attachments')).json()) as { attachments: unknown[] }).attachments.length,
      );
      const file = await randomFile('draft.bin');
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await throttle(cdp, THROTTLED_BYTES_PER_SECOND);
      const exchanges = recordTus(page);
      await pick(file.path);
      await page.waitForResponse(
        (response) =>
          response.request().method() === 'PATCH' && Number(response.headers()['upload-offset']) >= CHUNK_BYTES,
        { timeout: TEST_TIMEOUT_MS },
      );
      const uploadUrl = exchanges.find((exchange) => exchange.method === 'POST')?.location ?? '';
      const id = new URL(uploadUrl).pathname.split('/').at(-1) ?? '';
      expect((await partialObjects()).filter((key) => key.startsWith(`tus/${id}/`)).length).toBeGreaterThan(0);

      const terminated = page.waitForResponse(
        (response) => response.request().method() === 'DELETE' && response.url() === uploadUrl,
      );
      await tray().getByRole('button', { name: 'Cancel' }).click();
      expect((await terminated).status()).toBe(204);
      await page
        .getByRole('status')
        .filter({ hasText: 'Upload of draft.bin cancelled; nothing was stored.' })
        .waitFor();
      await throttle(cdp, -1);
      await cdp.detach();

      expect(
        (await context.request.head(uploadUrl, { headers: { 'tus-resumable': '1.0.0' } })).status(),
      ).toBeGreaterThanOrEqual(404);
      expect(await partialObjects()).toEqual([]);
      expect(await rememberedUploads(page)).toEqual([]);
      expect(await messageBox().inputValue()).toBe('');
      expect(
        await page.evaluate(
          async () =>
            ((await (await fetch('/api/attachments')).json()) as { attachments: unknown[] }).attachments.length,
        ),
      ).toBe(before);
    });

    it('lists an upload a reload cut short, and Discard drops it on the server', async () => {
      const file = await randomFile('old-draft.bin');
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await throttle(cdp, THROTTLED_BYTES_PER_SECOND);
      const exchanges = recordTus(page);
      await pick(file.path);
      await page.waitForResponse(
        (response) =>
          response.request().method() === 'PATCH' && Number(response.headers()['upload-offset']) >= CHUNK_BYTES,
        { timeout: TEST_TIMEOUT_MS },
      );
      const uploadUrl = exchanges.find((exchange) => exchange.method === 'POST')?.location ?? '';
      await page.reload();
      await throttle(cdp, -1);
      await cdp.detach();
      const unfinished = tray().locator('.upload-unfinished');
      await unfinished.waitFor();
      expect(await partialObjects()).not.toEqual([]);
      // My uploads counts the unfinished upload as the server does: its whole length is held against both quotas.
      await page.getByRole('link', { name: 'My uploads' }).click();
      await page.getByRole('heading', { name: 'My uploads' }).waitFor();
      const lines = await page.locator('.quota-line').allTextContents();
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toContain(`, ${formatBytes(FILE_BYTES)} of it in uploads under way)`);
      await page.getByRole('link', { name: 'Chat' }).click();
      await unfinished.waitFor();

      const terminated = page.waitForResponse(
        (response) => response.request().method() === 'DELETE' && response.url() === uploadUrl,
      );
      await unfinished.getByRole('button', { name: 'Discard' }).click();
      expect((await terminated).status()).toBe(204);
      await expect.poll(() => unfinished.count()).toBe(0);
      expect(await partialObjects()).toEqual([]);
      expect(await rememberedUploads(page)).toEqual([]);
      // A later page lists nothing.
      await page.reload();
      await page.getByRole('navigation', { name: 'Channels' }).waitFor();
      expect(await tray().locator('.upload-row').count()).toBe(0);
    });
  },
);
