/**
 * Key groups: every address maps by a stable hash of its id to one of a fixed number of key groups
 * (default 128). The hash is Flink's (murmur finalizer over Java's `String.hashCode`), so an id
 * lands in the same key group as in a Flink StateFun job with the same maximum parallelism, and
 * all function types with the same id share a key group.
 */
import { StatefunError } from "@statefun-ts/protocol";

/** The default number of key groups. Fixed for the lifetime of an application's state. */
export const DEFAULT_MAX_KEY_GROUPS = 128;

/** Java's `String.hashCode` over UTF-16 code units. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Flink's `MathUtils.murmurHash(int)`: a non-negative 32-bit mix of `code`. */
export function murmurHash(code: number): number {
  let h = Math.imul(code, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  return h === -2147483648 ? 0 : -h;
}

/** The key group (0 ≤ result < maxKeyGroups) of an address id. */
export function keyGroupOf(id: string, maxKeyGroups: number = DEFAULT_MAX_KEY_GROUPS): number {
  return murmurHash(javaStringHash(id)) % maxKeyGroups;
}

/** Validates a key-group count: an integer from 1 to 32768, as Flink's maximum parallelism. */
export function checkMaxKeyGroups(maxKeyGroups: number): number {
  if (!Number.isInteger(maxKeyGroups) || maxKeyGroups < 1 || maxKeyGroups > 32768) {
    throw new StatefunError(
      "invalid-config",
      `maxKeyGroups must be an integer from 1 to 32768, found ${maxKeyGroups}`,
    );
  }
  return maxKeyGroups;
}
