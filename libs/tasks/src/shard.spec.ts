import { inShard, stableHash } from './shard.js';

describe('sharding', () => {
  it('hashes ids stably (FNV-1a)', () => {
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('6650f1c2a1b2c3d4e5f60718')).toBe(
      stableHash('6650f1c2a1b2c3d4e5f60718'),
    );
  });

  it('gives every id to exactly one of n shards, roughly evenly', () => {
    const ids = Array.from({ length: 3000 }, (_, i) =>
      i.toString(16).padStart(24, '0'),
    );
    const counts = [0, 1, 2].map(
      (index) => ids.filter((id) => inShard(id, { index, count: 3 })).length,
    );
    expect(counts.reduce((a, b) => a + b)).toBe(ids.length);
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('takes everything without a shard', () => {
    expect(inShard('anything', undefined)).toBe(true);
  });
});
