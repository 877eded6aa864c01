import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestChat } from '../test/chat-fixture.ts';
import type { Client, TestChat } from '../test/chat-fixture.ts';

async function png(width: number, height: number): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 60 } } })
      .png()
      .toBuffer(),
  );
}

async function size(bytes: Uint8Array): Promise<{ width: number; height: number; format: string }> {
  const metadata = await sharp(bytes).metadata();
  return { width: metadata.width, height: metadata.height, format: metadata.format };
}

/** A PNG whose header claims width x height, with a tiny body: what an image bomb looks like before decoding. */
function pngClaiming(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('images', () => {
  let chat: TestChat;
  let hamlet: Client;
  let iago: Client;

  beforeAll(async () => {
    chat = await startTestChat({ maxFileUploadBytes: 8 * 1024 * 1024 });
    [hamlet, iago] = await Promise.all([chat.login('hamlet@zulip.test'), chat.login('iago@zulip.test')]);
  });

  afterAll(async () => {
    await chat.close();
  });

  async function fetchPublic(url: string): Promise<{ response: Response; bytes: Uint8Array }> {
    const response = await chat.anonymous().request('GET', url);
    return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
  }

  it('makes 100 and 500 px avatars beside the original, public and cached for a year, under a new key each time', async () => {
    const first = await hamlet.json<{ avatarUrl: string; avatarMediumUrl: string }>('POST', '/api/users/me/avatar', {
      body: await png(800, 600),
    });
    expect(first.status).toBe(200);
    expect(first.body.avatarUrl).toMatch(/^\/user_avatars\/1\/[0-9a-f]{40}\.png$/u);
    const small = await fetchPublic(first.body.avatarUrl);
    expect(small.response.status).toBe(200);
    expect(small.response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await size(small.bytes)).toEqual({ width: 100, height: 100, format: 'png' });
    const medium = await fetchPublic(first.body.avatarMediumUrl);
    expect(await size(medium.bytes)).toEqual({ width: 500, height: 500, format: 'png' });
    const original = await fetchPublic(first.body.avatarUrl.replace(/\.png$/u, '.original'));
    expect(await size(original.bytes)).toEqual({ width: 800, height: 600, format: 'png' });

    const second = await hamlet.json<{ avatarUrl: string }>('POST', '/api/users/me/avatar', {
      body: await png(300, 300),
    });
    expect(second.body.avatarUrl).not.toBe(first.body.avatarUrl);
    expect((await fetchPublic(second.body.avatarUrl)).response.status).toBe(200);
    expect((await fetchPublic(first.body.avatarUrl)).response.status).toBe(404);
    const users = await iago.json<{ users: { email: string; avatarUrl: string | null }[] }>('GET', '/api/users');
    expect(users.body.users.find((user) => user.email === 'hamlet@zulip.test')?.avatarUrl).toBe(second.body.avatarUrl);
  });

  it('refuses a corrupt image and an image bomb with a clear error, storing nothing', async () => {
    const keys = async (): Promise<string[]> => {
      const found: string[] = [];
      for await (const object of chat.stores.avatars.list()) found.push(object.key);
      return found;
    };
    const before = await keys();
    const corrupt = (await png(50, 50)).slice(0, 60);
    const bad = await hamlet.json<{ error: { code: string; message: string } }>('POST', '/api/users/me/avatar', {
      body: corrupt,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidImage');
    const bomb = await hamlet.json<{ error: { code: string; message: string } }>('POST', '/api/users/me/avatar', {
      body: pngClaiming(10_000, 10_000),
    });
    expect(bomb.status).toBe(400);
    expect(bomb.body.error.message).toBe('the image is larger than 90 megapixels');
    const svg = await hamlet.json<{ error: { code: string } }>('POST', '/api/users/me/avatar', {
      body: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    });
    expect(svg.status).toBe(400);
    expect(await keys()).toEqual(before);
  });

  it('makes a 100 px realm icon and logos fitted in 800x100, for admins only, with a new URL each time', async () => {
    expect((await hamlet.json('POST', '/api/realm/icon', { body: await png(200, 200) })).status).toBe(403);
    const icon = await iago.json<{ iconUrl: string }>('POST', '/api/realm/icon', { body: await png(400, 300) });
    expect(icon.body.iconUrl).toBe('/user_avatars/1/realm/icon.png?version=1');
    expect(await size((await fetchPublic(icon.body.iconUrl)).bytes)).toEqual({
      width: 100,
      height: 100,
      format: 'png',
    });
    const logo = await iago.json<{ logoUrl: string }>('POST', '/api/realm/logo', { body: await png(1600, 400) });
    expect(await size((await fetchPublic(logo.body.logoUrl)).bytes)).toEqual({
      width: 400,
      height: 100,
      format: 'png',
    });
    const night = await iago.json<{ nightLogoUrl: string }>('POST', '/api/realm/logo?night=1', {
      body: await png(2000, 100),
    });
    expect(night.body.nightLogoUrl).toBe('/user_avatars/1/realm/night_logo.png?version=1');
    expect(await size((await fetchPublic(night.body.nightLogoUrl)).bytes)).toEqual({
      width: 800,
      height: 40,
      format: 'png',
    });
    expect((await fetchPublic('/user_avatars/1/realm/logo.original')).response.status).toBe(200);
    const again = await iago.json<{ iconUrl: string }>('POST', '/api/realm/icon', { body: await png(120, 120) });
    expect(again.body.iconUrl).toBe('/user_avatars/1/realm/icon.png?version=2');
    const realm = await hamlet.json<{ iconUrl: string }>('GET', '/api/realm');
    expect(realm.body.iconUrl).toBe(again.body.iconUrl);
  });

  it('makes 64 px custom emoji and keeps the original', async () => {
    const created = await hamlet.json<{ id: number; url: string }>('POST', '/api/realm/emoji?name=party_parrot', {
      body: await png(256, 128),
    });
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/^\/user_avatars\/1\/emoji\/images\/[0-9a-f]{24}\.png$/u);
    expect(await size((await fetchPublic(created.body.url)).bytes)).toEqual({ width: 64, height: 32, format: 'png' });
    expect((await fetchPublic(`${created.body.url}.original`)).response.status).toBe(200);
    expect((await hamlet.json('POST', '/api/realm/emoji?name=party_parrot', { body: await png(10, 10) })).status).toBe(
      400,
    );
    expect((await hamlet.json('POST', '/api/realm/emoji?name=Bad%20Name', { body: await png(10, 10) })).status).toBe(
      400,
    );
    const listed = await iago.json<{ emoji: { name: string }[] }>('GET', '/api/realm/emoji');
    expect(listed.body.emoji.map((emoji) => emoji.name)).toEqual(['party_parrot']);
    expect((await iago.json('DELETE', `/api/realm/emoji/${created.body.id}`)).status).toBe(200);
    expect((await fetchPublic(created.body.url)).response.status).toBe(404);
  });

  it('thumbnails image attachments as {key}/840x560.webp under the same access rule', async () => {
    const photo = await hamlet.upload('photo.png', await png(1680, 1000), 'image/png');
    expect(photo.thumbnailUrl).toBe(`${photo.url.replace('/user_uploads/', '/user_uploads/thumbnail/')}/840x560.webp`);
    const thumbnailUrl = photo.thumbnailUrl ?? '';
    const thumbnail = await hamlet.request('GET', thumbnailUrl);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    expect(await size(new Uint8Array(await thumbnail.arrayBuffer()))).toEqual({
      width: 840,
      height: 500,
      format: 'webp',
    });
    expect((await iago.request('GET', thumbnailUrl)).status).toBe(404);
    await hamlet.post(await hamlet.channelId('general'), photo.url);
    expect((await iago.request('GET', thumbnailUrl)).status).toBe(200);
    const lear = await chat.login('lear@lear.test');
    expect((await lear.request('GET', thumbnailUrl)).status).toBe(404);
  });

  it('stores a corrupt "image" attachment as a plain file without a thumbnail', async () => {
    const broken = await hamlet.upload('broken.png', 'not a png at all', 'image/png');
    expect(broken.thumbnailUrl).toBeNull();
    expect(await (await hamlet.request('GET', broken.url)).text()).toBe('not a png at all');
  });
});
