/**
 * The disk state backend (`--state-backend disk`): live state in LMDB on local disk with a bounded
 * in-memory cache, so the heap stays bounded however large the state grows. Checkpoints stay
 * incremental (only addresses changed since the previous checkpoint are written), with the same
 * change tracking and copy-on-write capture as the memory backend; expired values are removed in
 * the background through an expiry index kept in the database, without scanning the state.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { StateBackend } from "@statefun-ts/runtime";
import { DEFAULT_MAX_KEY_GROUPS, noopLogger } from "@statefun-ts/runtime";
import type { Logger } from "@statefun-ts/runtime";
import { DiskCapture } from "./disk-capture.js";
import { DiskStore } from "./disk-store.js";
import { DiskStateTable } from "./disk-table.js";

/** Options of {@link createDiskStateBackend}. */
export interface DiskStateBackendOptions {
  /**
   * The database directory. Emptied when the backend opens (state comes from checkpoints), unless
   * a clean stop kept the database for the checkpoint that recovery then restores.
   */
  readonly directory: string;
  /** Number of key groups. Default: 128. */
  readonly maxKeyGroups?: number;
  /** Addresses whose decoded state is cached in memory. Default: 100000. */
  readonly maxCachedAddresses?: number;
  /** Changed addresses that trigger a write batch at once. Default: 20000. */
  readonly maxDirtyAddresses?: number;
  /** Longest time a change waits before it is written, in ms. Default: 20. */
  readonly flushIntervalMs?: number;
  /**
   * Changed addresses out of the cache whose ids are kept between checkpoints, at least (about 50
   * bytes each). Beyond this and a quarter of all addresses (as while checkpoints cannot be
   * written), changes are no longer tracked one by one and the next checkpoint writes the whole
   * state, starting a new chain. Default: 1000000.
   */
  readonly maxTrackedChanges?: number;
  readonly logger?: Logger;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new StatefunError(
      "invalid-config",
      `disk state backend option ${name}: expected an integer ≥ 1, found ${value}`,
    );
  }
  return value;
}

/** A state backend with state in LMDB. */
export interface DiskStateBackend extends StateBackend {
  /** The database directory. */
  readonly directory: string;
  /** Addresses currently cached. */
  cachedAddresses(): number;
}

/** Creates a disk state backend in `options.directory` (emptied first). */
export function createDiskStateBackend(options: DiskStateBackendOptions): DiskStateBackend {
  const maxKeyGroups = positive("maxKeyGroups", options.maxKeyGroups ?? DEFAULT_MAX_KEY_GROUPS);
  const store = new DiskStore({
    directory: options.directory,
    maxKeyGroups,
    maxCachedAddresses: positive("maxCachedAddresses", options.maxCachedAddresses ?? 100_000),
    maxDirtyAddresses: positive("maxDirtyAddresses", options.maxDirtyAddresses ?? 20_000),
    flushIntervalMs: positive("flushIntervalMs", options.flushIntervalMs ?? 20),
    maxTrackedChanges: positive("maxTrackedChanges", options.maxTrackedChanges ?? 1_000_000),
    logger: options.logger ?? noopLogger,
  });
  const tables = new Map<string, DiskStateTable>();
  function table(typename: string): DiskStateTable {
    let found = tables.get(typename);
    if (found === undefined) {
      found = new DiskStateTable(typename, store);
      tables.set(typename, found);
    }
    return found;
  }
  return {
    kind: "disk",
    directory: options.directory,
    maxKeyGroups,
    table,
    trackChanges() {
      store.startTracking();
    },
    captureChanges: (cutMs) => DiskCapture.start(store, cutMs, maxKeyGroups),
    restore(records, { markChanged, bulk }) {
      store.restore([...records], table, markChanged, bulk);
    },
    resume: (checkpoint) => store.resume(checkpoint, table),
    keyGroupRecords: (keyGroup, nowMs) => store.keyGroupRecords(keyGroup, nowMs),
    changedSinceCapture: () => store.tracker?.hasChanges() ?? false,
    sweepExpired: (nowMs) =>
      store.expiries.sweep(nowMs, table, (type, id, keyGroup) => store.entry(type, id, keyGroup)),
    functionTypes() {
      return [...tables.values()]
        .filter((t) => t.addresses > 0)
        .map((t) => ({ typename: t.typename, addresses: t.addresses }));
    },
    listIds(typename, after, limit, nowMs) {
      return tables.get(typename)?.listIds(after, limit, nowMs) ?? { ids: [], next: undefined };
    },
    liveValues: () => store.values,
    onFailure: (listener) => store.onFailure(listener),
    figures: () => [
      {
        name: "state_cached_addresses",
        help: "Addresses whose state the disk backend holds in memory.",
        kind: "gauge",
        value: store.cacheSize,
      },
      {
        name: "state_unwritten_addresses",
        help: "Changed addresses the disk backend has not written to its database yet.",
        kind: "gauge",
        value: store.unwritten,
      },
      {
        name: "state_write_failures_total",
        help: "Write batches the disk backend's database failed (each is retried).",
        kind: "counter",
        value: store.writeFailures,
      },
    ],
    whenWritten: async () => {
      await store.flush();
    },
    cachedAddresses: () => store.cacheSize,
    clear() {
      store.clear();
      for (const existing of tables.values()) existing.addresses = 0;
    },
    close: (keep) =>
      store.close(
        keep === undefined
          ? undefined
          : {
              checkpoint: keep,
              addresses: Object.fromEntries(
                [...tables.values()].map((existing) => [existing.typename, existing.addresses]),
              ),
            },
      ),
  };
}
