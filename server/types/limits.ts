/**
 * The thresholds that decide when a collection leaves its compact encoding
 * (Redis's `hash-max-listpack-entries` and friends). Each server's keyspace
 * holds one {@linkcode EncodingLimits} object that CONFIG SET updates; the
 * data structures read it when they grow.
 *
 * @example
 * ```ts
 * import { DEFAULT_ENCODING_LIMITS } from "./limits.ts";
 * console.log(DEFAULT_ENCODING_LIMITS.hashMaxListpackEntries); // 128
 * ```
 *
 * @module
 */

/** Redis 7.0's encoding thresholds (CONFIG names in the comments). */
export interface EncodingLimits {
  /** `hash-max-listpack-entries` (alias `hash-max-ziplist-entries`). */
  hashMaxListpackEntries: number;
  /** `hash-max-listpack-value` (alias `hash-max-ziplist-value`): longest field or value, bytes. */
  hashMaxListpackValue: number;
  /** `set-max-intset-entries`. */
  setMaxIntsetEntries: number;
  /** `zset-max-listpack-entries` (alias `zset-max-ziplist-entries`). */
  zsetMaxListpackEntries: number;
  /** `zset-max-listpack-value` (alias `zset-max-ziplist-value`): longest member, bytes. */
  zsetMaxListpackValue: number;
  /**
   * `list-max-listpack-size` (alias `list-max-ziplist-size`): positive = most
   * entries per node, -1..-5 = node size limit of 4, 8, 16, 32, 64 KiB.
   */
  listMaxListpackSize: number;
  /** `list-compress-depth`. */
  listCompressDepth: number;
}

/** Redis 7.0's defaults. */
export const DEFAULT_ENCODING_LIMITS: Readonly<EncodingLimits> = Object.freeze({
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
  listCompressDepth: 0,
});
