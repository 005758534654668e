import type { WorkerShard } from '@app/config';

/** FNV-1a, 32 bits: stable across processes and releases, cheap, well spread. */
export function stableHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** True when this replica owns the task id (always, without sharding). */
export function inShard(id: string, shard: WorkerShard | undefined): boolean {
  return shard === undefined || stableHash(id) % shard.count === shard.index;
}
