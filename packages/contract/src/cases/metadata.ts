import { expect, it } from 'vitest';
import { getText } from '../store-helpers.ts';
import type { SuiteContext } from '../suite-context.ts';

/** Content type, disposition, cache control and user metadata survive; the content type defaults from the key. */
export function metadataCases({ store }: SuiteContext): void {
  it('round-trips content type, disposition, cache control and metadata through put, head and get', async () => {
    const options = {
      contentType: 'text/plain; charset=utf-8',
      contentDisposition: `attachment; filename="r_sum_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`,
      cacheControl: 'private, immutable',
      metadata: { 'owner-id': '42', purpose: 'message attachment', 'original-name': 'resume.txt' },
    };
    const put = await store().put('meta/resume.txt', 'contents', options);
    const head = await store().head('meta/resume.txt');
    const got = await store().get('meta/resume.txt');
    for (const info of [put, head, got]) {
      expect(info?.contentType).toBe(options.contentType);
      expect(info?.contentDisposition).toBe(options.contentDisposition);
      expect(info?.cacheControl).toBe(options.cacheControl);
      expect(info?.metadata).toEqual(options.metadata);
    }
    expect(await getText(store(), 'meta/resume.txt')).toBe('contents');
    await got.body.cancel();
  });

  it('reports empty metadata and no disposition or cache control when none were given', async () => {
    const info = await store().put('meta/plain', 'x');
    expect(info.metadata).toEqual({});
    const head = await store().head('meta/plain');
    expect(head?.metadata).toEqual({});
    expect(head?.contentDisposition).toBeUndefined();
    expect(head?.cacheControl).toBeUndefined();
  });

  it('guesses the content type from the key when none is given, and honours an explicit one', async () => {
    const cases = [
      ['guess/photo.PNG', 'image/png'],
      ['guess/paper.pdf', 'application/pdf'],
      ['guess/notes.txt', 'text/plain'],
      ['guess/clip.webm', 'video/webm'],
      ['guess/archive.tar.gz', 'application/gzip'],
      ['guess/no-extension', 'application/octet-stream'],
      ['guess/.dotfile', 'application/octet-stream'],
      ['guess/unknown.qqq', 'application/octet-stream'],
    ] as const;
    for (const [key, type] of cases) {
      expect((await store().put(key, 'x')).contentType, key).toBe(type);
      expect((await store().head(key))?.contentType, key).toBe(type);
    }
    await store().put('guess/forced.png', 'x', { contentType: 'application/octet-stream' });
    expect((await store().head('guess/forced.png'))?.contentType).toBe('application/octet-stream');
  });
}
