import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ACCOUNTS } from '../src/seed.ts';
import { launchChromium, logInWithKeyboard, newUserContext, submitLoginWithKeyboard } from './browser.ts';
import { buildWebUi } from './build-web.ts';
import { CLOCK_START, startChatUnderTest } from './chat-under-test.ts';
import type { Backend, ChatUnderTest } from './chat-under-test.ts';
import { formatBytes } from '../web/src/format.ts';
import { bannerPng, discPng, landscapePng } from './test-images.ts';

const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const MIB = 1024 * 1024;
const MAX_UPLOAD_BYTES = 3 * MIB;

function password(email: string): string {
  const account = SEED_ACCOUNTS.find((candidate) => candidate.email === email);
  if (account === undefined) throw new Error(`no seeded account ${email}`);
  return account.password;
}

/** Whether an image element finished loading real pixels (a refused or missing file leaves it at 0). */
async function loadedWidth(image: Locator): Promise<number> {
  await image.waitFor();
  return image.evaluate(async (element: HTMLImageElement) => {
    if (!element.complete)
      await new Promise((resolve) => {
        element.addEventListener('load', resolve, { once: true });
        element.addEventListener('error', resolve, { once: true });
      });
    return element.naturalWidth;
  });
}

beforeAll(async () => {
  await buildWebUi();
  await mkdir(SCREENSHOTS, { recursive: true });
});

describe.each<Backend>(['local', 's3'])('chat web UI on the %s store', (backend) => {
  let chat: ChatUnderTest;
  let browser: Browser;
  let iago: BrowserContext;
  let iagoPage: Page;
  // Only one run writes the committed screenshots, so they do not flip between backends.
  const screenshot = async (page: Page, name: string): Promise<void> => {
    if (backend === 'local') await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: false });
  };

  // Every origin any page of the run asked for: the app, and in S3 mode the bucket that serves avatars.
  const origins = new Set<string>();
  const openContext = async (): Promise<BrowserContext> => {
    const context = await newUserContext(browser, chat.url, new Date(CLOCK_START.getTime() + 6 * 60 * 60 * 1000));
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:') origins.add(url.origin);
    });
    return context;
  };

  beforeAll(async () => {
    chat = await startChatUnderTest(backend, MAX_UPLOAD_BYTES);
    browser = await launchChromium();
    iago = await openContext();
    iagoPage = await iago.newPage();
  });

  afterAll(async () => {
    // Either may be missing when starting failed; what did start must still stop.
    await (browser as Browser | undefined)?.close();
    await (chat as ChatUnderTest | undefined)?.close();
  });

  it('shows the login page, refuses a wrong password and logs in with the keyboard', async () => {
    await iagoPage.goto('/');
    await iagoPage.getByRole('heading', { name: 'Log in to Stowage chat' }).waitFor();
    await screenshot(iagoPage, 'login');
    await iagoPage.getByLabel('Email').fill('iago@zulip.test');
    await iagoPage.getByLabel('Password').fill('not-the-password');
    await iagoPage.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => iagoPage.getByRole('alert').textContent()).toContain('wrong email or password');
    await iagoPage.reload();
    await logInWithKeyboard(iagoPage, 'iago@zulip.test', password('iago@zulip.test'));
    const channels = iagoPage.getByRole('navigation', { name: 'Channels' });
    expect(await channels.getByRole('link').allTextContents()).toEqual(['core team (private)', 'design', 'general']);
    await iagoPage.getByText('Welcome to Stowage chat!').waitFor();
  });

  // Shared by the steps below, which follow one story: each builds on what the one before left.
  let imageUrl = '';
  let thumbnailUrl = '';
  let hamlet: BrowserContext;
  let hamletPage: Page;

  const messageBox = (page: Page): Locator => page.getByRole('textbox', { name: 'Message #general' });
  const attachmentCount = async (page: Page): Promise<number> =>
    page.evaluate(
      async () => ((await (await fetch('/api/attachments')).json()) as { attachments: unknown[] }).attachments.length,
    );

  it('uploads an image through the file chooser and shows it inline, full size on click', async () => {
    const picture = await landscapePng(1200, 800);
    const chooser = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles({ name: 'harbour.png', mimeType: 'image/png', buffer: picture });
    await expect.poll(() => messageBox(iagoPage).inputValue()).toMatch(/^\[harbour\.png\]\(\/user_uploads\/\S+\)\n$/u);
    await messageBox(iagoPage).press('End');
    await iagoPage.keyboard.type('The harbour this morning');
    await iagoPage.keyboard.press('Enter');
    const preview = iagoPage.getByRole('button', { name: 'View harbour.png full size' });
    expect(await loadedWidth(preview.locator('img'))).toBe(840);
    thumbnailUrl = (await preview.locator('img').getAttribute('src')) ?? '';
    imageUrl = thumbnailUrl.replace(/^\/user_uploads\/thumbnail\//u, '/user_uploads/').replace(/\/840x560\.webp$/u, '');
    // The image shows once: as its preview, not also as a link in the text.
    expect(await iagoPage.locator('.message-text').getByRole('link', { name: 'harbour.png' }).count()).toBe(0);
    expect(thumbnailUrl).toMatch(/^\/user_uploads\/thumbnail\/.+\/840x560\.webp$/u);
    expect(imageUrl).toMatch(/^\/user_uploads\/.+\/harbour\.png$/u);
    expect(await messageBox(iagoPage).inputValue()).toBe('');

    await preview.click();
    const lightbox = iagoPage.getByRole('dialog', { name: 'harbour.png' });
    expect(await loadedWidth(lightbox.getByRole('img', { name: 'harbour.png' }))).toBe(1200);
    await iagoPage.keyboard.press('Escape');
    await lightbox.waitFor({ state: 'detached' });
  });

  it('shows the image to a second user of the same channel', async () => {
    hamlet = await openContext();
    hamletPage = await hamlet.newPage();
    await hamletPage.goto('/');
    await logInWithKeyboard(hamletPage, 'hamlet@zulip.test', password('hamlet@zulip.test'));
    const preview = hamletPage.getByRole('button', { name: 'View harbour.png full size' });
    expect(await loadedWidth(preview.locator('img'))).toBe(840);
    const full = await hamlet.request.get(imageUrl);
    expect(full.status()).toBe(200);
    expect(full.headers()['content-type']).toBe('image/png');
  });

  it('refuses the same URL to a user of the other organization, and sends anonymous visitors to log in first', async () => {
    const cordelia = await openContext();
    const cordeliaPage = await cordelia.newPage();
    await cordeliaPage.goto('/');
    await logInWithKeyboard(cordeliaPage, 'cordelia@lear.test', password('cordelia@lear.test'));
    for (const url of [imageUrl, thumbnailUrl]) {
      const response = await cordeliaPage.goto(url);
      expect(response?.status()).toBe(404);
      // A page a person can read, the same one a missing file gets: not the API's JSON.
      expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
      await cordeliaPage.getByRole('heading', { name: 'File not available' }).waitFor();
    }
    await cordelia.close();

    const stranger = await openContext();
    const strangerPage = await stranger.newPage();
    await strangerPage.goto(imageUrl);
    expect(new URL(strangerPage.url()).searchParams.get('next')).toBe(imageUrl);
    await submitLoginWithKeyboard(strangerPage, 'othello@zulip.test', password('othello@zulip.test'));
    await strangerPage.waitForURL((url) => url.pathname === imageUrl);
    expect(await loadedWidth(strangerPage.locator('img'))).toBe(1200);
    await stranger.close();
  });

  it('refuses too-large and over-quota files before uploading, and shows the server refusing one', async () => {
    const before = await attachmentCount(iagoPage);
    const uploadRequests: string[] = [];
    iagoPage.on('request', (request) => {
      if (request.url().includes('/api/v1/tus')) uploadRequests.push(request.url());
    });
    const chooser = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles({ name: 'archive.zip', mimeType: 'application/zip', buffer: Buffer.alloc(4 * MIB, 7) });
    const tray = iagoPage.getByRole('list', { name: 'Uploads' });
    await expect
      .poll(() => tray.getByRole('alert').textContent())
      .toBe('archive.zip is 4.0 MiB, larger than the 3.0 MiB upload limit.Dismiss');
    expect(uploadRequests).toEqual([]);
    await tray.getByRole('button', { name: 'Dismiss' }).click();

    // The page still believes there is plenty of quota; the server knows better and refuses.
    const realm = chat.data.realms().find((candidate) => candidate.name === 'Zulip Dev');
    if (realm === undefined) throw new Error('seeded realm missing');
    chat.setQuota(realm.name, chat.data.realmUsedBytes(realm.id) + 1000);
    const again = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Attach files' }).click();
    await (await again).setFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.alloc(5000, 'a') });
    await expect
      .poll(() => tray.getByRole('alert').textContent())
      .toMatch(/^notes\.txt was not uploaded: this upload of 4\.9 KiB would exceed your organization's upload quota/u);
    expect(uploadRequests).toHaveLength(1);
    await tray.getByRole('button', { name: 'Dismiss' }).click();

    // Now the page knows the quota is nearly used: the next file is refused without a request.
    const third = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Attach files' }).click();
    await (await third).setFiles({ name: 'more.txt', mimeType: 'text/plain', buffer: Buffer.alloc(5000, 'b') });
    await expect
      .poll(() => tray.getByRole('alert').textContent())
      .toMatch(/^more\.txt \(4\.9 KiB\) would exceed your organization's upload quota/u);
    expect(uploadRequests).toHaveLength(1);
    await tray.getByRole('button', { name: 'Dismiss' }).click();
    expect(await attachmentCount(iagoPage)).toBe(before);
    chat.setQuota(realm.name, 1024 * MIB);
    await iagoPage.reload();
  });

  it('shows upload progress and cancels an upload, storing nothing', async () => {
    const before = await attachmentCount(iagoPage);
    const cdp = await iago.newCDPSession(iagoPage);
    await cdp.send('Network.enable');
    // Slow the upload to a crawl so there is time to watch it and cancel it.
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 128 * 1024,
    });
    const chooser = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles({ name: 'slow.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * MIB, 1) });
    const progress = iagoPage.getByRole('progressbar', { name: 'Upload progress of slow.bin' });
    await expect
      .poll(() => progress.evaluate((bar: HTMLProgressElement) => bar.value), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await progress.evaluate((bar: HTMLProgressElement) => bar.value)).toBeLessThan(2 * MIB);
    expect(await iagoPage.getByRole('button', { name: 'Uploading…' }).isDisabled()).toBe(true);
    await iagoPage.getByRole('list', { name: 'Uploads' }).getByRole('button', { name: 'Cancel' }).click();
    await iagoPage
      .getByRole('status')
      .filter({ hasText: 'Upload of slow.bin cancelled; nothing was stored.' })
      .waitFor();
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    expect(await messageBox(iagoPage).inputValue()).toBe('');
    expect(await iagoPage.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    expect(await attachmentCount(iagoPage)).toBe(before);
  });

  it('attaches files dropped on the conversation and pasted into the message box', async () => {
    const conversation = iagoPage.locator('.conversation');
    await iagoPage.evaluate(() => {
      const files = new DataTransfer();
      files.items.add(new File(['Minutes of the meeting\n'], 'minutes.txt', { type: 'text/plain' }));
      const target = document.querySelector('.conversation');
      target?.dispatchEvent(new DragEvent('dragover', { dataTransfer: files, bubbles: true, cancelable: true }));
      (window as unknown as { dropped: DataTransfer }).dropped = files;
    });
    expect(await conversation.getAttribute('class')).toContain('dragging');
    await iagoPage.evaluate(() => {
      const files = (window as unknown as { dropped: DataTransfer }).dropped;
      document
        .querySelector('.conversation')
        ?.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
    });
    expect(await conversation.getAttribute('class')).not.toContain('dragging');
    await expect.poll(() => messageBox(iagoPage).inputValue()).toContain('[minutes.txt](/user_uploads/');
    // A real video, recorded from a canvas by the browser itself, so the inline player has something to load.
    await iagoPage.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const context = canvas.getContext('2d');
      const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm' });
      const chunks: Blob[] = [];
      recorder.addEventListener('dataavailable', (event) => chunks.push(event.data));
      const stopped = new Promise((resolve) => {
        recorder.addEventListener('stop', resolve);
      });
      recorder.start();
      for (let frame = 0; frame < 12; frame++) {
        if (context !== null) {
          context.fillStyle = `hsl(${frame * 30} 70% 50%)`;
          context.fillRect(0, 0, 320, 180);
        }
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      recorder.stop();
      await stopped;
      const files = new DataTransfer();
      files.items.add(new File(chunks, 'clip.webm', { type: 'video/webm' }));
      document
        .querySelector('#message-input')
        ?.dispatchEvent(new ClipboardEvent('paste', { clipboardData: files, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => messageBox(iagoPage).inputValue()).toContain('[clip.webm](/user_uploads/');
    await messageBox(iagoPage).focus();
    await iagoPage.keyboard.press('Enter');
    const message = iagoPage.locator('.message').filter({ hasText: 'minutes.txt' });
    const download = message.locator('.file-card').getByRole('link', { name: 'Download minutes.txt' });
    expect(await message.locator('.file-card .file-size').first().textContent()).toBe('23 bytes');
    const downloadUrl = (await download.getAttribute('href')) ?? '';
    expect(downloadUrl).toMatch(/\/minutes\.txt\?download=1$/u);
    const served = await iago.request.get(downloadUrl);
    expect(served.headers()['content-disposition']).toMatch(/^attachment/u);
    expect(await served.text()).toBe('Minutes of the meeting\n');
    const video = message.locator('video');
    expect(await video.getAttribute('src')).toMatch(/\/clip\.webm$/u);
    const videoWidth = await video.evaluate(
      (element: HTMLVideoElement) =>
        new Promise<number>((resolve) => {
          if (element.readyState >= HTMLMediaElement.HAVE_METADATA) resolve(element.videoWidth);
          element.addEventListener(
            'loadedmetadata',
            () => {
              resolve(element.videoWidth);
            },
            { once: true },
          );
          element.addEventListener(
            'error',
            () => {
              resolve(0);
            },
            { once: true },
          );
        }),
    );
    expect(videoWidth).toBe(320);
  });

  it('changes the avatar and shows the new one everywhere', async () => {
    await iagoPage.getByRole('link', { name: 'Settings' }).click();
    await iagoPage.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await iagoPage.locator('.me .avatar-initials').textContent()).toBe('I');
    const chooser = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Upload a new avatar' }).click();
    await (
      await chooser
    ).setFiles({ name: 'me.png', mimeType: 'image/png', buffer: await discPng(300, [200, 60, 60]) });
    await iagoPage.getByText('Your new avatar is saved; everyone sees it now.').waitFor();
    const headerAvatar = iagoPage.locator('.me img.avatar');
    expect(await loadedWidth(headerAvatar)).toBe(100);
    const firstUrl = (await headerAvatar.getAttribute('src')) ?? '';
    expect(firstUrl.startsWith(chat.avatarOrigin === chat.url ? '/user_avatars/' : `${chat.avatarOrigin}/`)).toBe(true);
    expect(await loadedWidth(iagoPage.locator('.avatar-preview img'))).toBe(500);

    await iagoPage.getByRole('link', { name: 'Chat' }).click();
    const ownMessages = iagoPage
      .locator('.message')
      .filter({ has: iagoPage.locator('.message-sender', { hasText: /^Iago$/u }) });
    await ownMessages.first().waitFor();
    expect(
      new Set(
        await ownMessages
          .locator('img.avatar')
          .evaluateAll((images) => images.map((image) => image.getAttribute('src'))),
      ),
    ).toEqual(new Set([firstUrl]));
    const inPeople = (page: Page): Locator =>
      page
        .getByRole('list', { name: 'People' })
        .getByRole('listitem')
        .filter({ hasText: /^Iago$/u })
        .locator('img.avatar');
    expect(await inPeople(iagoPage).getAttribute('src')).toBe(firstUrl);
    await hamletPage.reload();
    const seenByHamlet = hamletPage
      .locator('.message')
      .filter({ hasText: 'The harbour this morning' })
      .locator('img.avatar');
    expect(await seenByHamlet.getAttribute('src')).toBe(firstUrl);
    expect(await loadedWidth(seenByHamlet)).toBe(100);
    expect(await loadedWidth(inPeople(hamletPage))).toBe(100);
    expect(await inPeople(hamletPage).getAttribute('src')).toBe(firstUrl);

    await iagoPage.getByRole('link', { name: 'Settings' }).click();
    const second = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Upload a new avatar' }).click();
    await (
      await second
    ).setFiles({ name: 'me-again.png', mimeType: 'image/png', buffer: await discPng(300, [40, 140, 90]) });
    await expect.poll(() => headerAvatar.getAttribute('src')).not.toBe(firstUrl);
    const secondUrl = (await headerAvatar.getAttribute('src')) ?? '';
    expect(await loadedWidth(headerAvatar)).toBe(100);
    expect((await hamlet.request.get(firstUrl)).status()).toBe(404);
    await hamletPage.reload();
    expect(await seenByHamlet.getAttribute('src')).toBe(secondUrl);
    expect(await inPeople(hamletPage).getAttribute('src')).toBe(secondUrl);
  });

  it('lets an admin set the organization icon and logo', async () => {
    const icon = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Upload icon' }).click();
    await (
      await icon
    ).setFiles({
      name: 'icon.png',
      mimeType: 'image/png',
      buffer: await discPng(256, [47, 111, 222], [255, 255, 255]),
    });
    await iagoPage.getByText('The organization icon is updated.').waitFor();
    expect(await loadedWidth(iagoPage.locator('.brand img.realm-icon'))).toBe(100);
    const logo = iagoPage.waitForEvent('filechooser');
    await iagoPage.getByRole('button', { name: 'Upload logo' }).click();
    await (await logo).setFiles({ name: 'logo.png', mimeType: 'image/png', buffer: await bannerPng(600, 150) });
    await iagoPage.getByText('The organization logo is updated.').waitFor();
    expect(await loadedWidth(iagoPage.getByRole('link').getByRole('img', { name: 'Zulip Dev' }))).toBe(400);
    await hamletPage.reload();
    expect(await loadedWidth(hamletPage.locator('.brand img.realm-icon'))).toBe(100);
  });

  it('adds a custom emoji and shows it in messages', async () => {
    await iagoPage.getByLabel('Name').fill('stowage');
    await iagoPage
      .getByLabel('Image')
      .setInputFiles({ name: 'crate.png', mimeType: 'image/png', buffer: await discPng(128, [230, 150, 40]) });
    await iagoPage.getByRole('button', { name: 'Add emoji' }).click();
    await iagoPage.getByText('Added :stowage:.', { exact: false }).waitFor();
    expect(await loadedWidth(iagoPage.getByRole('list', { name: 'Custom emoji' }).locator('img'))).toBe(64);
    await iagoPage.setViewportSize({ width: 1280, height: 1040 });
    await screenshot(iagoPage, 'settings');
    await iagoPage.setViewportSize({ width: 1280, height: 800 });
    // The settings page shows the key Zulip's clients sign in with; it is the one fetch_api_key gives.
    await iagoPage.getByRole('button', { name: 'Show API key' }).click();
    const keyOnPage = iagoPage.getByLabel('Your API key');
    await expect.poll(() => keyOnPage.textContent()).toMatch(/^[A-Za-z0-9]{32}$/u);
    const shownKey = (await keyOnPage.textContent()) ?? '';
    const fetched = await fetch(`${chat.url}/api/v1/fetch_api_key`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'iago@zulip.test', password: 'iago-stowage' }),
    });
    expect(((await fetched.json()) as { api_key: string }).api_key).toBe(shownKey);

    await iagoPage.getByRole('link', { name: 'Chat' }).click();
    await messageBox(iagoPage).fill('Everything is packed');
    await iagoPage.getByText('Emoji', { exact: true }).click();
    await iagoPage.getByRole('group', { name: 'Custom emoji' }).getByRole('button', { name: ':stowage:' }).click();
    await iagoPage.keyboard.type('and :not_an_emoji: stays text');
    expect(await messageBox(iagoPage).inputValue()).toBe(
      'Everything is packed :stowage: and :not_an_emoji: stays text',
    );
    await messageBox(iagoPage).press('Enter');
    const message = iagoPage.locator('.message').filter({ hasText: 'Everything is packed' });
    expect(await loadedWidth(message.getByRole('img', { name: ':stowage:' }))).toBe(64);
    expect(await message.locator('.message-text').textContent()).toBe(
      'Everything is packed  and :not_an_emoji: stays text',
    );
    await iagoPage.setViewportSize({ width: 1280, height: 1000 });
    await iagoPage.locator('.message-feed').evaluate((feed) => {
      feed.scrollTop = feed.scrollHeight;
    });
    await iagoPage.mouse.move(0, 0);
    await messageBox(iagoPage).focus();
    await screenshot(iagoPage, 'channel');
    await iagoPage.setViewportSize({ width: 390, height: 800 });
    await iagoPage.locator('.message-feed').evaluate((feed) => {
      feed.scrollTop = feed.scrollHeight;
    });
    await screenshot(iagoPage, 'channel-narrow');
    await iagoPage.setViewportSize({ width: 1280, height: 800 });

    await hamletPage.getByRole('link', { name: 'Settings' }).click();
    await hamletPage.getByRole('heading', { name: 'Custom emoji' }).waitFor();
    expect(await hamletPage.getByRole('heading', { name: /^Organization/u }).count()).toBe(0);
    expect(await hamletPage.getByRole('list', { name: 'Custom emoji' }).textContent()).toBe(':stowage:');
    await hamletPage.getByRole('link', { name: 'Chat' }).click();
  });

  it('deletes a message with the keyboard after confirming', async () => {
    const message = iagoPage.locator('.message').filter({ hasText: 'Everything is packed' });
    iagoPage.once('dialog', (dialog) => {
      expect(dialog.type()).toBe('confirm');
      void dialog.accept();
    });
    await message.getByRole('button', { name: 'Delete this message' }).focus();
    await iagoPage.keyboard.press('Enter');
    await message.waitFor({ state: 'detached' });
    await hamletPage.reload();
    await hamletPage.getByText('The harbour this morning').waitFor();
    expect(await hamletPage.getByText('Everything is packed').count()).toBe(0);
  });

  it('is usable with the keyboard: sections reached by Tab, image opened with Enter and closed with Escape', async () => {
    await iagoPage.getByRole('link', { name: 'Chat' }).focus();
    await iagoPage.keyboard.press('Tab');
    expect(await iagoPage.evaluate(() => document.activeElement?.textContent)).toBe('My uploads');
    await iagoPage.keyboard.press('Tab');
    expect(await iagoPage.evaluate(() => document.activeElement?.textContent)).toBe('Settings');
    const preview = iagoPage.getByRole('button', { name: 'View harbour.png full size' });
    await preview.focus();
    await iagoPage.keyboard.press('Enter');
    const lightbox = iagoPage.getByRole('dialog', { name: 'harbour.png' });
    await lightbox.waitFor();
    expect(await iagoPage.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Close');
    await iagoPage.keyboard.press('Escape');
    await lightbox.waitFor({ state: 'detached' });
    expect(await preview.evaluate((element) => element === document.activeElement)).toBe(true);
  });

  it('shows the newest page of a long channel and older messages on request', async () => {
    const designId = await hamletPage.evaluate(async () => {
      const { csrfToken } = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const { channels } = (await (await fetch('/api/channels')).json()) as {
        channels: { id: number; name: string }[];
      };
      const design = channels.find((channel) => channel.name === 'design');
      if (design === undefined) throw new Error('no design channel');
      for (let index = 1; index <= 60; index++) {
        await fetch(`/api/channels/${design.id}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
          body: JSON.stringify({ content: `Mockup ${index}` }),
        });
      }
      return design.id;
    });
    await iagoPage.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: 'design' }).click();
    await iagoPage.getByText('Mockup 60').waitFor();
    expect(new URL(iagoPage.url()).hash).toBe(`#/channels/${designId}`);
    expect(await iagoPage.locator('.message').count()).toBe(50);
    expect(await iagoPage.getByText('Post mockups here.').count()).toBe(0);
    await iagoPage.getByRole('button', { name: 'Show older messages' }).click();
    await iagoPage.getByText('Post mockups here.').waitFor();
    expect(await iagoPage.locator('.message').count()).toBe(61);
    expect(await iagoPage.getByRole('button', { name: 'Show older messages' }).count()).toBe(0);
    await iagoPage.getByRole('link', { name: 'general' }).click();
  });

  it('lists my uploads with size, where each is linked and the quota used, and deletes one so its link stops working', async () => {
    await iagoPage.getByRole('link', { name: 'My uploads' }).click();
    const row = iagoPage.getByRole('row').filter({ hasText: 'harbour.png' });
    await row.waitFor();
    const size = (await iago.request.head(imageUrl)).headers()['content-length'];
    expect(await row.getByRole('cell').nth(1).textContent()).toBe(formatBytes(Number(size)));
    expect(await row.getByRole('link', { name: '#general' }).getAttribute('href')).toMatch(/^#\/channels\/\d+$/u);
    expect(
      await iagoPage.getByRole('row').filter({ hasText: 'minutes.txt' }).getByRole('cell').nth(1).textContent(),
    ).toBe('23 bytes');
    const realm = chat.data.realms().find((candidate) => candidate.name === 'Zulip Dev');
    const used = chat.data.realmUsedBytes(realm?.id ?? 0);
    const mine = chat.data.userUsedBytes(chat.data.userWithPassword('iago@zulip.test')?.user.id ?? 0);
    expect(await iagoPage.locator('.quota-line').allTextContents()).toEqual([
      `${formatBytes(mine)} of your 300.0 MiB quota used (0.0%), ${formatBytes(300 * 1024 * 1024 - mine)} left`,
      `${formatBytes(used)} of 1.0 GiB used by your organization (0.0%), ${formatBytes(1024 ** 3 - used)} left`,
    ]);
    await screenshot(iagoPage, 'my-uploads');

    iagoPage.once('dialog', (dialog) => {
      void dialog.accept();
    });
    await iagoPage.getByRole('button', { name: 'Delete harbour.png' }).click();
    await row.waitFor({ state: 'detached' });
    for (const url of [imageUrl, thumbnailUrl]) {
      expect((await iago.request.get(url)).status()).toBe(404);
      expect((await hamlet.request.get(url)).status()).toBe(404);
    }
    await hamletPage.reload();
    await hamletPage.getByText('The harbour this morning').waitFor();
    expect(await hamletPage.getByRole('button', { name: 'View harbour.png full size' }).count()).toBe(0);
    const response = await hamletPage.goto(imageUrl);
    expect(response?.status()).toBe(404);
  });

  it('logs out; file links then ask to log in again', async () => {
    const minutes = (
      (await iago.request.get('/api/attachments').then((response) => response.json())) as {
        attachments: { name: string; url: string }[];
      }
    ).attachments.find((attachment) => attachment.name === 'minutes.txt');
    await iagoPage.getByRole('button', { name: 'Log out' }).click();
    await iagoPage.getByRole('heading', { name: 'Log in to Stowage chat' }).waitFor();
    expect((await iago.request.get('/api/attachments')).status()).toBe(401);
    await iagoPage.goto(minutes?.url ?? '/missing');
    await iagoPage.getByRole('heading', { name: 'Log in to Stowage chat' }).waitFor();
    expect(new URL(iagoPage.url()).searchParams.get('next')).toBe(minutes?.url);
  });

  it('never made a request beyond the app (and, on S3, the public avatar bucket)', () => {
    const allowed = new Set([chat.url, chat.avatarOrigin]);
    expect([...origins].filter((origin) => !allowed.has(origin))).toEqual([]);
    expect(origins.has(chat.url)).toBe(true);
  });
});
