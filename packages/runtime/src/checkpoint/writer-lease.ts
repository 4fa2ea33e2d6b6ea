/**
 * One writer per checkpoint storage. Two runtimes writing the same checkpoint storage destroy each
 * other's checkpoints: each deletes the files the other's chain needs. The local state directory
 * has a lock file; a checkpoint storage may be shared beyond it (an S3 prefix, a directory given
 * with `--checkpoint-storage`), so a runtime also holds a lease there: the object
 * {@link LEASE_OBJECT}, naming its holder, renewed every third of its time to live.
 *
 * - A runtime starts only when no other process holds a live lease: one renewed less than its
 *   time to live ago by another process. A lease of a process that is gone (same host, no such
 *   process, or this very process after an in-process restart) is taken over at once; one of
 *   another host is taken over once it has expired. Hosts' clocks must agree to well within the
 *   time to live.
 * - After writing its lease, a starting runtime waits a moment and reads it back, so that of two
 *   runtimes starting together at most one goes on (object stores have no atomic create that
 *   every server supports).
 * - A runtime whose lease was taken over, or that could not renew it within its time to live,
 *   has lost it: it is told (`onLost`), and every later write and delete through the storage
 *   {@link guardedByLease} returns fails, so it can no longer damage the new holder's
 *   checkpoints. While its last renewal is older than the time to live (after a long pause of
 *   the process, say), it writes nothing either, until a renewal finds the lease still its own.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { StatefunError, isStatefunError } from "@statefun-ts/protocol";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { CheckpointStorage } from "./storage.js";

/** The object holding the lease, beside the `checkpoints/` folder. */
export const LEASE_OBJECT = "writer.lease";

/** Default time to live of a lease, in ms. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** What a lease object says. */
interface LeaseRecord {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  readonly since: string;
  /** When it was last renewed, in ms since the epoch (the holder's clock). */
  readonly renewedAtMs: number;
  readonly ttlMs: number;
}

/** Options of {@link acquireWriterLease}. */
export interface WriterLeaseOptions {
  /** Time to live, in ms: a lease not renewed for this long may be taken over. */
  readonly ttlMs: number;
  readonly logger: Logger;
  /** Called once when the lease is lost. */
  readonly onLost: (error: StatefunError) => void;
  /** How long a starting runtime waits before reading its lease back, in ms. Default: 50. */
  readonly settleMs?: number;
  /** This process, as the lease names it (tests give others). */
  readonly host?: string;
  readonly pid?: number;
  /** Whether a process of this host exists (default: `process.kill(pid, 0)`). */
  readonly alive?: (pid: number) => boolean;
  /** Wall-clock time (default `Date.now`): leases are compared across processes and hosts. */
  readonly now?: () => number;
}

/** A held lease. */
export interface WriterLease {
  /** Set once the lease is lost. */
  readonly lost: StatefunError | undefined;
  /**
   * Why the holder must not write now, or `undefined` when it may: the lease is lost, or it has
   * not been renewed for its time to live (another process may have taken it over; writing
   * resumes once a renewal finds it still this holder's).
   */
  refusal(): StatefunError | undefined;
  /**
   * Stops renewing and deletes the lease object if it is still this holder's (idempotent). Waits
   * for the storage at most the time to live, after which the lease is left to expire.
   */
  release(): Promise<void>;
}

/** Whether a process of this host with that pid exists (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseLease(bytes: Uint8Array): LeaseRecord | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<LeaseRecord>;
    if (
      typeof value.owner === "string" &&
      typeof value.host === "string" &&
      typeof value.pid === "number" &&
      typeof value.renewedAtMs === "number" &&
      typeof value.ttlMs === "number"
    ) {
      return value as LeaseRecord;
    }
  } catch {
    // Unreadable: treated as no lease.
  }
  return undefined;
}

/** Reads of a lease object that does not parse before it counts as no lease. */
const UNREADABLE_READS = 5;
/** The wait between those reads, in ms. */
const UNREADABLE_RETRY_MS = 50;

/**
 * The lease object's record, or `undefined` when there is none. One that does not parse is read
 * again a few times first: some S3-compatible servers answer a write before the object is fully
 * written, and a read then sees it truncated for a moment. One that stays unreadable counts as no
 * lease.
 */
async function readLease(storage: CheckpointStorage): Promise<LeaseRecord | undefined> {
  for (let attempt = 1; ; attempt++) {
    if (!(await storage.list(LEASE_OBJECT)).includes(LEASE_OBJECT)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await storage.read(LEASE_OBJECT);
    } catch (error) {
      // Deleted between the listing and the read: no lease.
      if (isStatefunError(error, "storage-failed")) return undefined;
      throw error;
    }
    const lease = parseLease(bytes);
    if (lease !== undefined || attempt === UNREADABLE_READS) return lease;
    await new Promise((resolve) => setTimeout(resolve, UNREADABLE_RETRY_MS));
  }
}

function describe(lease: LeaseRecord): string {
  return `process ${lease.pid} on host ${JSON.stringify(lease.host)} (holding it since ${lease.since})`;
}

/**
 * Takes the lease of `storage` for this runtime and keeps renewing it.
 *
 * @throws StatefunError `invalid-config` when another live process holds it, or won it while
 *   this one was taking it; `storage-failed` when the storage fails.
 */
export async function acquireWriterLease(
  storage: CheckpointStorage,
  options: WriterLeaseOptions,
): Promise<WriterLease> {
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const alive = options.alive ?? processAlive;
  const now = options.now ?? Date.now;
  const { ttlMs, logger } = options;
  const owner = randomUUID();
  const since = new Date(now()).toISOString();

  const held = await readLease(storage);
  if (held !== undefined && held.owner !== owner) {
    const ageMs = now() - held.renewedAtMs;
    const gone = held.host === host && (held.pid === pid || !alive(held.pid));
    if (!gone && ageMs < held.ttlMs) {
      throw new StatefunError(
        "invalid-config",
        `the checkpoint storage ${storage.location} is in use by ${describe(held)}, which renewed its lease ${Math.max(0, Math.round(ageMs / 1000))} s ago; ` +
          `run one statefun per checkpoint storage (a lease not renewed for ${Math.round(held.ttlMs / 1000)} s is taken over)`,
        { details: { location: storage.location, host: held.host, pid: held.pid } },
      );
    }
    logger.warn(
      { storage: storage.location, host: held.host, pid: held.pid, renewedAgoMs: ageMs },
      "taking over the checkpoint storage lease of a process that is gone",
    );
  }

  const write = (): Promise<void> => {
    const record: LeaseRecord = { owner, host, pid, since, renewedAtMs: now(), ttlMs };
    return storage.write(LEASE_OBJECT, [Buffer.from(JSON.stringify(record))]);
  };
  await write();
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 50));
  const mine = await readLease(storage);
  if (mine?.owner !== owner) {
    throw new StatefunError(
      "invalid-config",
      `the checkpoint storage ${storage.location} was taken by ${mine === undefined ? "another process" : describe(mine)} while this one was starting; run one statefun per checkpoint storage`,
      { details: { location: storage.location } },
    );
  }

  let lost: StatefunError | undefined;
  let lastRenewedMs = now();
  let released = false;
  let renewing: Promise<void> | undefined;
  const lose = (why: string): void => {
    if (lost !== undefined) return;
    lost = new StatefunError(
      "illegal-state",
      `lost the lease of the checkpoint storage ${storage.location}: ${why}; no checkpoint is written from now on`,
      { details: { location: storage.location } },
    );
    clearInterval(timer);
    logger.error(
      { storage: storage.location, ...errorFields(lost) },
      "checkpoint storage lease lost",
    );
    options.onLost(lost);
  };
  const renew = async (): Promise<void> => {
    try {
      const current = await readLease(storage);
      if (released || lost !== undefined) return;
      if (current?.owner !== owner) {
        lose(
          current === undefined
            ? "its lease object was deleted"
            : `${describe(current)} took it over`,
        );
        return;
      }
      await write();
      lastRenewedMs = now();
    } catch (error) {
      logger.warn({ storage: storage.location, ...errorFields(error) }, "lease renewal failed");
      if (now() - lastRenewedMs >= ttlMs) {
        lose(`it could not be renewed for ${Math.round(ttlMs / 1000)} s`);
      }
    }
  };
  const timer = setInterval(
    () => {
      if (renewing === undefined) {
        renewing = renew().finally(() => {
          renewing = undefined;
        });
      } else if (now() - lastRenewedMs >= ttlMs) {
        // A renewal that never ends (a storage that stopped answering) loses the lease too.
        lose(`its renewal has not completed for ${Math.round(ttlMs / 1000)} s`);
      }
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  timer.unref();

  return {
    get lost() {
      return lost;
    },
    refusal() {
      if (lost !== undefined) return lost;
      const sinceMs = now() - lastRenewedMs;
      if (sinceMs < ttlMs) return undefined;
      return new StatefunError(
        "storage-failed",
        `the lease of the checkpoint storage ${storage.location} was last renewed ${Math.round(sinceMs / 1000)} s ago, beyond its time to live; writing waits for a renewal`,
        { details: { location: storage.location } },
      );
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const releasing = (async () => {
        await renewing;
        if (lost !== undefined) return;
        const current = await readLease(storage);
        if (current?.owner === owner) await storage.delete(LEASE_OBJECT);
      })();
      // A storage that stopped answering is not waited for beyond the time to live: the lease
      // then expires on its own, and a stop does not hang on it.
      let giveUp: NodeJS.Timeout | undefined;
      const gaveUp = await Promise.race([
        releasing.then(() => false),
        new Promise<boolean>((resolve) => (giveUp = setTimeout(() => resolve(true), ttlMs))),
      ]).finally(() => clearTimeout(giveUp));
      if (!gaveUp) return;
      releasing.catch(() => {});
      logger.warn(
        { storage: storage.location, ttlMs },
        "the checkpoint storage did not answer the lease release in time; the lease expires on its own",
      );
    },
  };
}

/**
 * `storage` with writes and deletes refused while `refusal()` returns an error (with its code,
 * and as the cause).
 */
export function guardedByLease(
  storage: CheckpointStorage,
  refusal: () => StatefunError | undefined,
): CheckpointStorage {
  const refused = (operation: string, name: string): StatefunError | undefined => {
    const error = refusal();
    return error === undefined
      ? undefined
      : new StatefunError(error.code, `${operation} ${name}: ${error.message}`, {
          cause: error,
          details: { location: storage.location, name },
        });
  };
  return {
    location: storage.location,
    write: (name, chunks) => {
      const error = refused("write", name);
      return error === undefined ? storage.write(name, chunks) : Promise.reject(error);
    },
    read: (name, range) => storage.read(name, range),
    size: (name) => storage.size(name),
    list: (prefix) => storage.list(prefix),
    delete: (name) => {
      const error = refused("delete", name);
      return error === undefined ? storage.delete(name) : Promise.reject(error);
    },
    close: () => storage.close(),
  };
}
