import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestingStream, portableSha256, sha256Base64, toBase64, toHex } from './checksum.ts';
import { nodeSha256 } from './node/sha256.ts';

function deterministicBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

const reference = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function portableHex(bytes: Uint8Array): string {
  const hash = portableSha256();
  hash.update(bytes);
  return toHex(hash.digest());
}

describe('portableSha256', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    const text = (value: string): Uint8Array => new TextEncoder().encode(value);
    expect(portableHex(text(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(portableHex(text('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(portableHex(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(portableHex(new Uint8Array(1_000_000).fill(0x61))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('matches node:crypto for every length from 0 to 300 bytes (all padding cases)', () => {
    const source = deterministicBytes(300);
    for (let length = 0; length <= 300; length++) {
      const bytes = source.subarray(0, length);
      expect(portableHex(bytes), `length ${length}`).toBe(reference(bytes));
    }
  });

  it.each([511, 512, 513, 4095, 4096, 4097, 65_535, 65_536, 65_537, 1_048_576 + 3])(
    'matches node:crypto for %i bytes',
    (length) => {
      const bytes = deterministicBytes(length, length);
      expect(portableHex(bytes)).toBe(reference(bytes));
    },
  );

  it('gives the same digest however the input is split into chunks', () => {
    const bytes = deterministicBytes(10_007, 7);
    const expected = reference(bytes);
    for (const chunkSize of [1, 3, 55, 56, 63, 64, 65, 127, 128, 1000, 10_007]) {
      const hash = portableSha256();
      for (let offset = 0; offset < bytes.length; offset += chunkSize)
        hash.update(bytes.subarray(offset, offset + chunkSize));
      expect(toHex(hash.digest()), `chunks of ${chunkSize}`).toBe(expected);
    }
    // Irregular splits, including empty chunks, crossing block boundaries at odd places.
    let state = 99;
    for (let round = 0; round < 20; round++) {
      const hash = portableSha256();
      let offset = 0;
      while (offset < bytes.length) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const size = state % 200;
        hash.update(bytes.subarray(offset, offset + size));
        offset += size;
      }
      expect(toHex(hash.digest())).toBe(expected);
    }
  });

  it('does not change the bytes it is given', () => {
    const bytes = deterministicBytes(1000);
    const copy = bytes.slice();
    portableHex(bytes);
    expect(bytes).toEqual(copy);
  });
});

describe('sha256Base64', () => {
  it('hashes bytes and strings (as UTF-8) to base64, with either implementation', () => {
    const text = 'héllo, 世界 \u{1f600}';
    const expected = createHash('sha256').update(text, 'utf8').digest('base64');
    expect(sha256Base64(text)).toBe(expected);
    expect(sha256Base64(new TextEncoder().encode(text))).toBe(expected);
    expect(sha256Base64(text, nodeSha256)).toBe(expected);
    expect(sha256Base64('')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
});

describe('toBase64 and toHex', () => {
  it('encode like Buffer does, whatever the length and its remainder by three', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 16, 20, 32, 0x8000 + 1, 100_000]) {
      const bytes = deterministicBytes(length, length + 1);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
    }
  });
});

describe('digestingStream', () => {
  async function pipeThrough(
    chunks: readonly Uint8Array[],
  ): Promise<{ output: Uint8Array[]; size: number; sha256: string }> {
    const { stream, digest } = digestingStream();
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const output: Uint8Array[] = [];
    const reader = source.pipeThrough(stream).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      output.push(value);
    }
    return { output, ...(await digest) };
  }

  it('passes every chunk through unchanged and reports size and SHA-256 at the end', async () => {
    const bytes = deterministicBytes(200_000, 3);
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 64), bytes.subarray(64, 150_000), bytes.subarray(150_000)];
    const { output, size, sha256 } = await pipeThrough(chunks);
    expect(output).toEqual(chunks);
    expect(size).toBe(200_000);
    expect(sha256).toBe(createHash('sha256').update(bytes).digest('base64'));
  });

  it('reports an empty stream', async () => {
    const { output, size, sha256 } = await pipeThrough([]);
    expect(output).toEqual([]);
    expect(size).toBe(0);
    expect(sha256).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('uses an injected hash', async () => {
    let updates = 0;
    const { stream, digest } = digestingStream(() => {
      const inner = nodeSha256();
      return {
        update(chunk) {
          updates++;
          inner.update(chunk);
        },
        digest: () => inner.digest(),
      };
    });
    const writer = stream.writable.getWriter();
    const reading = new Response(stream.readable).arrayBuffer();
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.write(new Uint8Array([4]));
    await writer.close();
    expect(new Uint8Array(await reading)).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect((await digest).size).toBe(4);
    expect(updates).toBe(2);
  });
});
