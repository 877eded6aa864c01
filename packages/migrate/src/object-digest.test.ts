import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryStore, READ_BODY_CHUNKS } from '@stowage/core';
import type { ChunkReadableResult, GetOptions, GetResult } from '@stowage/core';
import { nodeSha256 } from '@stowage/core/node';
import { digestObject } from './object-digest.ts';

/** A store whose bodies are byte streams, counting reads into the reader's buffer and fresh chunks. */
class ByteStreamStore extends MemoryStore {
  intoReaderBuffer = 0;
  freshChunks = 0;

  override async get(key: string, options?: GetOptions): Promise<GetResult> {
    const got = await super.get(key, options);
    const whole = new Uint8Array(await new Response(got.body).arrayBuffer());
    let position = 0;
    const body = new ReadableStream({
      type: 'bytes',
      pull: (controller) => {
        if (position >= whole.byteLength) {
          controller.close();
          controller.byobRequest?.respond(0);
          return;
        }
        const view = controller.byobRequest?.view;
        if (view !== null && view !== undefined) {
          const length = Math.min(view.byteLength, whole.byteLength - position, 10_000);
          new Uint8Array(view.buffer, view.byteOffset, length).set(whole.subarray(position, position + length));
          position += length;
          this.intoReaderBuffer++;
          controller.byobRequest?.respond(length);
        } else {
          const chunk = whole.slice(position, position + 10_000);
          position += chunk.byteLength;
          this.freshChunks++;
          controller.enqueue(chunk);
        }
      },
    });
    return { ...got, body };
  }
}

/** A store that also offers its bytes as plain chunks, and fails a read of its `body` stream. */
class PlainChunkStore extends MemoryStore {
  override async get(key: string, options?: GetOptions): Promise<GetResult> {
    const got = await super.get(key, options);
    const whole = new Uint8Array(await new Response(got.body).arrayBuffer());
    const result: GetResult & ChunkReadableResult = {
      ...got,
      get body(): ReadableStream<Uint8Array> {
        throw new Error('the stream was asked for where plain chunks were offered');
      },
      [READ_BODY_CHUNKS]: async function* () {
        yield await Promise.resolve(whole.subarray(0, 1000));
        yield whole.subarray(1000);
      },
    };
    return result;
  }
}

describe('digestObject', () => {
  it('hashes the plain chunks a store offers without asking for its stream', async () => {
    const bytes = Uint8Array.from({ length: 5_000 }, (_, index) => (index * 13) % 251);
    const store = new PlainChunkStore();
    await store.put('k', bytes);
    expect(await digestObject(store, 'k', nodeSha256)).toEqual({
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('base64'),
    });
  });

  it('hashes a byte stream through one buffer of its own, and any other stream chunk by chunk, alike', async () => {
    const bytes = Uint8Array.from({ length: 123_457 }, (_, index) => (index * 31) % 251);
    const expected = { size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('base64') };
    const byteStore = new ByteStreamStore();
    await byteStore.put('k', bytes);
    const counted: number[] = [];
    expect(await digestObject(byteStore, 'k', nodeSha256, undefined, (count) => counted.push(count))).toEqual(expected);
    expect(byteStore.intoReaderBuffer).toBe(13);
    expect(byteStore.freshChunks).toBe(0);
    expect(counted.reduce((sum, count) => sum + count, 0)).toBe(bytes.byteLength);

    const plain = new MemoryStore();
    await plain.put('k', bytes);
    expect(await digestObject(plain, 'k', nodeSha256)).toEqual(expected);
  });

  it("fails with the byte stream's failure", async () => {
    const store = new MemoryStore();
    await store.put('k', 'x');
    const failing: GetResult = {
      ...(await store.get('k')),
      body: new ReadableStream({
        type: 'bytes',
        pull: (controller) => {
          controller.error(new Error('the disk went away'));
        },
      }),
    };
    await expect(digestObject(store, 'k', nodeSha256, undefined, undefined, failing)).rejects.toThrow(
      'the disk went away',
    );
  });
});
