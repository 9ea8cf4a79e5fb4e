import { describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../src/storage/group-commit.js';

describe('group commit', () => {
  it('writes items queued in one turn together, in arrival order, and resolves each after its batch', async () => {
    const batches: number[][] = [];
    const commits = createGroupCommit<number>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      batches.push(items);
    });
    const first = Array.from({ length: 50 }, (_, i) => commits.add(i));
    expect(commits.pending).toBe(50);
    await Promise.all(first);
    expect(batches).toEqual([Array.from({ length: 50 }, (_, i) => i)]);
    expect(commits.pending).toBe(0);
  });

  it('queues what arrives during a write into the next batch, never two writes at once', async () => {
    let writing = 0;
    let overlapped = false;
    const batches: number[][] = [];
    const commits = createGroupCommit<number>(async (items) => {
      writing++;
      if (writing > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 10));
      batches.push(items);
      writing--;
    });
    const a = commits.add(1);
    await new Promise((r) => setTimeout(r, 2));
    const later = [commits.add(2), commits.add(3)];
    await Promise.all([a, ...later]);
    expect(overlapped).toBe(false);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('splits at maxBatch and rejects only the items of a failed batch', async () => {
    const batches: number[][] = [];
    const commits = createGroupCommit<number>(
      async (items) => {
        batches.push(items);
        if (items.includes(3)) throw new Error('disk full');
      },
      { maxBatch: 2 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => commits.add(n)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
  });

  it('drain waits for everything queued so far', async () => {
    const written: number[] = [];
    const commits = createGroupCommit<number>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      written.push(...items);
    });
    void commits.add(1);
    void commits.add(2);
    await commits.drain();
    expect(written).toEqual([1, 2]);
  });

  it('hands each item the result the write returned for it', async () => {
    const commits = createGroupCommit<number, string>(async (items) => items.map((n) => `#${n}`));
    expect(await Promise.all([commits.add(1), commits.add(2), commits.add(3)])).toEqual(['#1', '#2', '#3']);
  });
});
