import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_ACCOUNTS } from '../src/seed.ts';
import { launchChromium, logInWithKeyboard, newUserContext } from './browser.ts';
import { buildWebUi } from './build-web.ts';
import { CLOCK_START, startChatUnderTest } from './chat-under-test.ts';
import type { Backend, ChatUnderTest } from './chat-under-test.ts';

const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const MIB = 1024 * 1024;

function password(email: string): string {
  return SEED_ACCOUNTS.find((account) => account.email === email)?.password ?? '';
}

beforeAll(async () => {
  await buildWebUi();
  await mkdir(SCREENSHOTS, { recursive: true });
});

describe.each<Backend>(['local', 's3'])('direct messages and quotas in the web UI (%s store)', (backend) => {
  let chat: ChatUnderTest;
  let browser: Browser;

  const open = async (email: string): Promise<Page> => {
    const context = await newUserContext(browser, chat.url, new Date(CLOCK_START.getTime() + 6 * 60 * 60 * 1000));
    const page = await context.newPage();
    await page.goto('/');
    await logInWithKeyboard(page, email, password(email));
    return page;
  };

  beforeAll(async () => {
    chat = await startChatUnderTest(backend, 3 * MIB);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (chat as ChatUnderTest | undefined)?.close();
  });

  it('starts a group direct message, sends a file in it, and only its members see it', async () => {
    const hamlet = await open('hamlet@zulip.test');
    await hamlet.getByRole('button', { name: 'New direct message' }).click();
    const form = hamlet.getByRole('form', { name: 'New direct message' });
    await form.getByLabel('Iago').check();
    await form.getByLabel('Othello').check();
    await form.getByRole('button', { name: 'Start' }).click();
    await hamlet.getByRole('heading', { name: 'Iago, Othello' }).waitFor();
    const chooser = hamlet.waitForEvent('filechooser');
    await hamlet.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('the group plan\n') });
    const box = hamlet.getByRole('textbox', { name: 'Message Iago, Othello' });
    await expect.poll(() => box.inputValue()).toMatch(/^\[plan\.txt\]\(\/user_uploads\/\S+\)\n$/u);
    await box.press('End');
    await hamlet.keyboard.type('Between the three of us');
    await hamlet.keyboard.press('Enter');
    await hamlet.getByText('Between the three of us').waitFor();
    const fileUrl = (await hamlet.locator('.message a[href^="/user_uploads/"]').first().getAttribute('href')) ?? '';
    if (backend === 'local') await hamlet.screenshot({ path: `${SCREENSHOTS}direct-message.png` });
    await hamlet.getByRole('link', { name: 'My uploads' }).click();
    await hamlet
      .getByRole('row')
      .filter({ hasText: 'plan.txt' })
      .getByRole('link', { name: 'direct message with Iago, Othello' })
      .waitFor();

    const iago = await open('iago@zulip.test');
    const directs = iago.getByRole('navigation', { name: 'Direct messages' });
    await directs.getByRole('link', { name: 'King Hamlet, Othello' }).click();
    await iago.getByText('Between the three of us').waitFor();
    expect(await iago.evaluate(async (url) => (await fetch(url)).status, fileUrl)).toBe(200);

    const prospero = await open('prospero@zulip.test');
    expect(await prospero.getByRole('navigation', { name: 'Direct messages' }).getByRole('link').count()).toBe(0);
    expect(await prospero.evaluate(async (url) => (await fetch(url)).status, fileUrl)).toBe(404);
    // Channels stay channels: the conversation is not listed among them.
    expect(await prospero.getByRole('navigation', { name: 'Channels' }).getByRole('link').allTextContents()).toEqual([
      'design',
      'general',
    ]);
  });

  it('warns at 90% of the per-user quota and says how much is left, in the composer and in My uploads', async () => {
    const othello = await open('othello@zulip.test');
    const used = chat.data.userUsedBytes(3);
    chat.data.setQuotas(1, 1024 * MIB, used + 2 * MIB);
    await othello.reload();
    await othello.getByRole('textbox', { name: 'Message #general' }).waitFor();
    expect(await othello.locator('.composer .quota-warning').textContent()).toBe('');
    const chooser = othello.waitForEvent('filechooser');
    await othello.getByRole('button', { name: 'Attach files' }).click();
    await (
      await chooser
    ).setFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * MIB - 100 * 1024) });
    await expect
      .poll(() => othello.getByRole('textbox', { name: 'Message #general' }).inputValue())
      .toMatch(/big\.bin/u);
    const warning = othello.locator('.composer .quota-warning');
    await expect
      .poll(() => warning.textContent())
      .toMatch(/^Your upload quota is nearly full: .+ of .+ used, .+ left\.$/u);
    const text = (await warning.textContent()) ?? '';
    const [, usedText, quotaText, leftText] = /: (.+) of (.+) used, (.+) left\.$/u.exec(text) ?? [];
    expect(quotaText).toBe(`${((used + 2 * MIB) / MIB).toFixed(1)} MiB`);
    expect(leftText).toBe('100.0 KiB');
    expect(usedText).toBeDefined();
    await othello.getByRole('link', { name: 'My uploads' }).click();
    await othello.locator('.uploads-page .quota-warning').waitFor();
    if (backend === 'local') await othello.screenshot({ path: `${SCREENSHOTS}quota-warning.png` });
  });
});
