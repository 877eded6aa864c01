import { describe, expect, it } from 'vitest';
import { ByteGate } from './byte-gate.ts';

describe('ByteGate', () => {
  it('admits work while it fits the budget, then in arrival order as bytes are released', async () => {
    const gate = new ByteGate(10);
    const admitted: string[] = [];
    const enter = (name: string, bytes: number): Promise<void> =>
      gate.acquire(bytes).then(() => {
        admitted.push(name);
      });
    await enter('a', 6);
    const b = enter('b', 6);
    const c = enter('c', 1);
    await Promise.resolve();
    // c would fit, but waits behind b so that large objects are not starved.
    expect(admitted).toEqual(['a']);
    gate.release(6);
    await Promise.all([b, c]);
    expect(admitted).toEqual(['a', 'b', 'c']);
  });

  it('admits an object larger than the whole budget alone', async () => {
    const gate = new ByteGate(10);
    await gate.acquire(50);
    let second = false;
    const waiting = gate.acquire(1).then(() => {
      second = true;
    });
    await Promise.resolve();
    expect(second).toBe(false);
    gate.release(50);
    await waiting;
    expect(second).toBe(true);
  });
});
