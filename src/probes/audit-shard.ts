/**
 * Shards: `--shard i/n` keeps the targets whose stable hash falls in slice i of n, so n
 * processes (pods of a Kubernetes Indexed Job, GNU parallel slots) given the same input cover
 * it exactly once, whatever order or machine they run in. FNV-1a over the normalised target:
 * stable across Node versions and platforms, unlike anything seeded.
 */
import { invalidInput } from '../errors.js';

/** Shard: slice `index` (0-based, as JOB_COMPLETION_INDEX counts) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** parseShard: "i/n" with 0 ≤ i < n ≤ 100000; INVALID_INPUT naming the flag otherwise. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > 100_000 || index >= count) {
    throw invalidInput(
      `--shard "${text}" is not i/n: give the 0-based slice and the count, e.g. 0/4 … 3/4`,
    );
  }
  return { index, count };
}

/** inShard: whether `target` (normalised) belongs to `shard`. */
export function inShard(target: string, shard: Shard): boolean {
  return fnv1a(target) % shard.count === shard.index;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
