/**
 * The checkpoint coordinator: decides when checkpoints are taken (on an interval, and at once when
 * something waits for durability — group commit), takes each cut synchronously, writes the file
 * off the hot path, and on completion releases egress records, resolves durability waiters,
 * deletes files no longer needed and, now and then, writes a new full base in the background.
 *
 * Invariants (tests cite them by number):
 *  1. At most one checkpoint is in progress; ids increase by one per attempt and a failed attempt's
 *     id is never reused.
 *  2. A cut is taken in one synchronous step: every invocation's effects are in it entirely or
 *     not at all, and every message not yet applied is in it.
 *  3. A checkpoint is complete when its file is durably written. Only then are the egress records
 *     of its epoch released, its durability waiters resolved, and files it no longer needs
 *     deleted. A failed or timed-out attempt changes nothing but the id counter: its state changes
 *     go into the next checkpoint, its waiters wait for the next one.
 *  4. A durability waiter is resolved by the first complete checkpoint whose cut was taken after
 *     the waiter registered.
 *  5. The newest `retained` complete checkpoints, and every file their chains name, are kept.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { Clock, TimerHandle } from "../core/clock.js";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import { StateSizeCounter, mergeRun, shouldCompact } from "./compaction.js";
import { CompactionThread } from "./compaction-thread.js";
import type { FileSizes } from "./compaction-thread.js";
import type { CutSources } from "./cut.js";
import { CheckpointCut } from "./cut.js";
import { CheckpointRetention } from "./retention.js";
import { encodeCheckpoint } from "./format/index.js";
import type { CheckpointManifest } from "./model.js";
import { baseName, changeSpanOf, checkpointName, mergedName } from "./names.js";
import type { ResolvedCheckpointingOptions } from "./options.js";
import type { CheckpointAttempt, CheckpointOutcome, CheckpointStats } from "./stats.js";
import { writeWithinTimeout } from "./timed-write.js";

/** A file of the current chain: its name and sizes, and whether it is full (the chain's base). */
export interface ChainFile extends FileSizes {
  readonly name: string;
  readonly full: boolean;
}

/** A complete checkpoint kept for recovery. */
export interface RetainedCheckpoint {
  readonly id: number;
  readonly name: string;
  /** The files it builds on, oldest first. */
  readonly chain: readonly string[];
}

/** Where a recovered application continues from. */
export interface ResumePoint {
  /** Id of the restored checkpoint (the next one gets a higher id). */
  readonly lastId: number;
  /** The restored checkpoint's chain plus the checkpoint itself, or empty to start a new chain. */
  readonly chain: readonly ChainFile[];
  /** Complete checkpoints found in storage, oldest first. */
  readonly retained: readonly RetainedCheckpoint[];
  /** True when the restored checkpoint held no pending or delayed message and no unreleased record. */
  readonly quiet: boolean;
}

interface Waiter {
  readonly requiredId: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /**
   * Rejected when an attempt meant for it fails and checkpoints have then failed this many times
   * in a row, instead of waiting for a later attempt (Infinity: never).
   */
  readonly failures: number;
}

/** Takes checkpoints of a runtime. */
export class CheckpointCoordinator {
  readonly stats: CheckpointStats = {
    completed: 0,
    failed: 0,
    lastCompletedId: 0,
    lastCompletedAtMs: 0,
    lastPauseMs: 0,
    maxPauseMs: 0,
    lastDurationMs: 0,
    lastBytes: 0,
    chainLength: 0,
    compactions: 0,
    merges: 0,
    skipped: 0,
  };
  private readonly options: ResolvedCheckpointingOptions;
  private readonly sources: CutSources;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxKeyGroups: number;
  private state: "created" | "running" | "stopped" = "created";
  private nextId = 1;
  private chain: ChainFile[] = [];
  private waiters: Waiter[] = [];
  private inProgress: Promise<void> | undefined;
  private compaction: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private lastStartMs = -Infinity;
  private lastEndMs = -Infinity;
  /** Consecutive failed attempts: the next one waits longer (up to the interval). */
  private failureStreak = 0;
  /** Keeps the process alive while something waits for durability (clock timers may not). */
  private keepAlive: NodeJS.Timeout | undefined;
  /** Component states of the last complete checkpoint, to skip checkpoints that change nothing. */
  private lastComponents = new Map<string, Uint8Array>();
  /**
   * True when the last complete checkpoint held no pending or delayed message and no unreleased
   * record: only then can an empty cut be skipped (otherwise the cut records that they are gone).
   */
  private lastQuiet = false;
  /** The retained checkpoints, and the deletion of files none of them needs. */
  private readonly retention: CheckpointRetention;
  private readonly attemptListeners = new Set<(attempt: CheckpointAttempt) => void>();
  /** Merges and full bases, prepared off the thread that processes messages. */
  private readonly compactor: CompactionThread;

  constructor(
    options: ResolvedCheckpointingOptions,
    sources: CutSources,
    clock: Clock,
    logger: Logger,
    maxKeyGroups: number,
  ) {
    this.options = options;
    this.sources = sources;
    this.clock = clock;
    this.logger = logger;
    this.maxKeyGroups = maxKeyGroups;
    this.retention = new CheckpointRetention(options.retained, options.storage, logger);
    this.compactor = new CompactionThread(options.storage);
  }

  /** Continues after a recovery: ids go on from the restored one, and so does its chain. */
  resumeFrom(point: ResumePoint): void {
    this.expect("created", "resume");
    this.nextId = point.lastId + 1;
    this.chain = [...point.chain];
    this.retention.resume(point.retained);
    this.stats.lastCompletedId = point.lastId;
    this.stats.chainLength = this.chain.length;
    this.lastQuiet = point.quiet;
  }

  /** Starts taking checkpoints on the interval. */
  start(): void {
    this.expect("created", "start");
    this.state = "running";
    if (this.options.mode === "exactly-once") this.sources.egress.holdUntilCheckpoint();
    this.sources.egress.beginEpoch(this.nextId);
    this.sources.backend.trackChanges();
    this.compactor.prepare();
    this.lastStartMs = this.clock.now();
    this.schedule();
    if (this.chain.length > 0) {
      // In the compaction slot, so that no compaction writes a file while orphans are sought.
      this.compaction = this.retention.deleteOrphans(this.chain).finally(() => {
        this.compaction = undefined;
        this.maybeCompact();
      });
    }
  }

  /**
   * Resolves once a checkpoint whose cut follows this call is complete (invariant 4). Asks for
   * that checkpoint to be taken as soon as the minimum pause allows. A failed checkpoint is
   * followed by another one, which this then waits for; with `failures`, it rejects instead (with
   * the failed checkpoint's error) once checkpoints have failed that many times in a row.
   */
  whenDurable(options: { readonly failures?: number } = {}): Promise<void> {
    return this.wait(options.failures ?? Infinity);
  }

  /**
   * Takes a checkpoint now (after the one in progress) and resolves with its id when complete;
   * rejects if that checkpoint fails.
   */
  async checkpointNow(): Promise<number> {
    const id = this.nextId;
    await this.wait(1);
    return Math.max(id, this.stats.lastCompletedId);
  }

  /**
   * Calls `listener` with every checkpoint attempt once its outcome is known (for metrics);
   * returns a function that stops the calls. The listener must not throw.
   */
  onAttempt(listener: (attempt: CheckpointAttempt) => void): () => void {
    this.attemptListeners.add(listener);
    return () => void this.attemptListeners.delete(listener);
  }

  private report(
    id: number,
    outcome: CheckpointOutcome,
    durationMs: number,
    pauseMs: number,
    bytes: number,
    waiters: number,
  ): void {
    if (this.attemptListeners.size === 0) return;
    const attempt: CheckpointAttempt = {
      id,
      outcome,
      seconds: durationMs / 1000,
      pauseSeconds: pauseMs / 1000,
      bytes,
      waiters,
    };
    for (const listener of this.attemptListeners) listener(attempt);
  }

  private wait(failures: number): Promise<void> {
    if (this.state === "stopped") {
      return Promise.reject(new StatefunError("shutdown", "checkpointing has stopped"));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ requiredId: this.nextId, resolve, reject, failures });
      this.keepAlive ??= setInterval(() => this.releaseKeepAlive(), 1000);
      this.schedule();
    });
  }

  private releaseKeepAlive(): void {
    if (this.waiters.length > 0 || this.keepAlive === undefined) return;
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  /**
   * Runs `read` with the files of the latest complete checkpoint (its chain, then itself),
   * keeping them from being deleted meanwhile.
   */
  async withLatestFiles<T>(read: (id: number, files: readonly string[]) => Promise<T>): Promise<T> {
    const latest = this.retention.latest;
    if (latest === undefined) {
      throw new StatefunError("illegal-state", "no checkpoint has completed yet");
    }
    const files = [...latest.chain, latest.name];
    return this.retention.pinning(files, () => read(latest.id, files));
  }

  /** Stops scheduling; waits for the checkpoint and compaction in progress. Waiters are rejected. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.timer?.cancel();
    this.timer = undefined;
    await this.inProgress;
    await this.compaction;
    await this.compactor.close();
    const error = new StatefunError(
      "shutdown",
      "checkpointing stopped before the checkpoint completed",
    );
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.releaseKeepAlive();
  }

  private expect(expected: "created" | "running", operation: string): void {
    if (this.state !== expected) {
      throw new StatefunError(
        "illegal-state",
        `cannot ${operation} a checkpoint coordinator that is ${this.state} (expected ${expected})`,
      );
    }
  }

  private schedule(): void {
    if (this.state !== "running" || this.inProgress !== undefined) return;
    const now = this.clock.now();
    const backoff =
      this.failureStreak === 0
        ? 0
        : Math.min(this.options.intervalMs, 50 * 2 ** (this.failureStreak - 1));
    const earliest = this.lastEndMs + Math.max(this.options.minPauseMs, backoff);
    const due =
      this.waiters.length > 0
        ? earliest
        : Math.max(earliest, this.lastStartMs + this.options.intervalMs);
    this.timer?.cancel();
    const begin = (): void => {
      this.timer = undefined;
      if (this.state !== "running" || this.inProgress !== undefined) return;
      this.inProgress = this.take().finally(() => {
        this.inProgress = undefined;
        this.lastEndMs = this.clock.now();
        this.schedule();
      });
    };
    if (due <= now && this.waiters.length > 0) {
      // Someone waits: start after pending I/O, without a timer (which would not keep the
      // process alive, and would need a manual clock to be advanced).
      const immediate = setImmediate(begin);
      this.timer = { cancel: () => clearImmediate(immediate) };
      return;
    }
    this.timer = this.clock.setTimer(Math.max(0, due - now), begin);
  }

  private async take(): Promise<void> {
    const id = this.nextId++;
    this.lastStartMs = this.clock.now();
    const started = performance.now();
    this.sources.egress.beginEpoch(id + 1);
    const cut = new CheckpointCut(id, this.clock.now(), this.sources);
    const pauseMs = performance.now() - started;
    const waiters = this.waiters.filter((w) => w.requiredId <= id);
    this.waiters = this.waiters.filter((w) => w.requiredId > id);
    const name = checkpointName(id);
    // A full capture holds every address's state: its checkpoint starts a new chain.
    const full = this.chain.length === 0 || cut.state.full === true;
    const manifest: CheckpointManifest = {
      formatVersion: 1,
      id,
      kind: "checkpoint",
      createdAtMs: cut.cutMs,
      maxKeyGroups: this.maxKeyGroups,
      mode: this.options.mode,
      full,
      chain: full ? [] : this.chain.map((file) => file.name),
      info: cut.info(),
    };
    let bytes = 0;
    const stateSize = new StateSizeCounter();
    const global = cut.globalContent();
    if (this.chain.length > 0 && this.lastQuiet && cut.isEmpty(global, this.lastComponents)) {
      // Nothing changed since the last complete checkpoint, which therefore covers this cut.
      cut.state.release();
      this.stats.skipped++;
      for (const waiter of waiters) waiter.resolve();
      this.releaseKeepAlive();
      this.report(id, "skipped", performance.now() - started, pauseMs, 0, waiters.length);
      return;
    }
    // Set when the timeout passes: the write is abandoned then, and takes no more of the cut.
    const deadline = { passed: false };
    try {
      const chunks = encodeCheckpoint(
        manifest,
        cut.keyGroupContents(),
        global,
        stateSize.onSection,
      );
      await writeWithinTimeout({
        storage: this.options.storage,
        name,
        chunks,
        timeoutMs: this.options.timeoutMs,
        clock: this.clock,
        logger: this.logger,
        count: (n) => (bytes += n),
        deadline,
      });
    } catch (error) {
      cut.state.abandon();
      this.stats.failed++;
      this.failureStreak++;
      const givingUp = (waiter: Waiter): boolean => this.failureStreak >= waiter.failures;
      for (const waiter of waiters) if (givingUp(waiter)) waiter.reject(error);
      this.waiters.unshift(...waiters.filter((waiter) => !givingUp(waiter)));
      this.releaseKeepAlive();
      this.logger.error(
        {
          checkpoint: id,
          storage: this.options.storage.location,
          timedOut: deadline.passed,
          ...errorFields(error),
        },
        "checkpoint failed; its changes go into the next one",
      );
      this.report(id, "failed", performance.now() - started, pauseMs, 0, 0);
      return;
    }
    cut.state.release();
    this.failureStreak = 0;
    this.lastComponents = new Map(
      [...global.sinks, ...global.ingresses].map((c) => [c.id, c.bytes]),
    );
    const info = cut.info();
    this.lastQuiet =
      info.pendingMessages === 0 && info.delayedMessages === 0 && info.unreleasedEgress === 0;
    const durationMs = performance.now() - started;
    this.completed(id, name, manifest, bytes, stateSize, pauseMs, durationMs);
    for (const waiter of waiters) waiter.resolve();
    this.releaseKeepAlive();
    this.report(id, "completed", durationMs, pauseMs, bytes, waiters.length);
  }

  private completed(
    id: number,
    name: string,
    manifest: CheckpointManifest,
    bytes: number,
    stateSize: StateSizeCounter,
    pauseMs: number,
    durationMs: number,
  ): void {
    this.sources.egress.release(id);
    this.retention.add({ id, name, chain: manifest.chain });
    const file = {
      name,
      bytes,
      stateBytes: stateSize.bytes,
      stateRecords: stateSize.records,
      full: manifest.full,
    };
    if (manifest.full) {
      // A new chain: the old one's files go once no retained checkpoint needs them.
      for (const old of this.chain) this.retention.replace(old.name);
      this.chain = [file];
    } else {
      this.chain.push(file);
    }
    const stats = this.stats;
    stats.completed++;
    stats.lastCompletedId = id;
    stats.lastCompletedAtMs = this.clock.now();
    stats.lastPauseMs = pauseMs;
    stats.maxPauseMs = Math.max(stats.maxPauseMs, pauseMs);
    stats.lastDurationMs = durationMs;
    stats.lastBytes = bytes;
    stats.chainLength = this.chain.length;
    this.logger.debug(
      {
        checkpoint: id,
        bytes,
        pauseMs: round(pauseMs),
        durationMs: round(durationMs),
        chain: this.chain.length,
        ...manifest.info,
      },
      "checkpoint completed",
    );
    void this.retention.deleteUnneeded(this.chain);
    this.maybeCompact();
  }

  /**
   * Starts a background compaction when none runs and the chain calls for one: a full base when
   * it holds much superseded state, else an incremental merge of the chain's tail. Each
   * one checks again when it ends, so merges cascade up the levels. A base is named after the
   * latest complete checkpoint, the newest file of its chain.
   */
  private maybeCompact(): void {
    if (this.compaction !== undefined || this.state === "stopped") return;
    let job: Promise<void>;
    if (shouldCompact(this.chain, this.options, this.liveAddresses())) {
      job = this.compact(this.stats.lastCompletedId, [...this.chain]);
    } else {
      const run = mergeRun(this.chain);
      if (run === undefined) return;
      job = this.mergeTail(run);
    }
    this.compaction = job.finally(() => {
      this.compaction = undefined;
      this.maybeCompact();
    });
  }

  /** Addresses holding state now, of every function type. */
  private liveAddresses(): number {
    let addresses = 0;
    for (const type of this.sources.backend.functionTypes()) addresses += type.addresses;
    return addresses;
  }

  /** Merges `run`, the chain's last incremental files, into one; later chains use it instead. */
  private async mergeTail(run: readonly ChainFile[]): Promise<void> {
    const first = changeSpanOf((run[0] as ChainFile).name);
    const last = changeSpanOf((run.at(-1) as ChainFile).name);
    if (first === undefined || last === undefined) return;
    const name = mergedName(first.first, last.last);
    const start = this.chain.indexOf(run[0] as ChainFile);
    const before = this.chain.slice(0, start).map((file) => file.name);
    try {
      const sizes = await this.compactor.mergeIncremental(
        run.map((file) => file.name),
        before,
        name,
      );
      const index = this.chain.indexOf(run[0] as ChainFile);
      if (index === -1 || run.some((file, i) => this.chain[index + i] !== file)) {
        // A full checkpoint started a new chain meanwhile: nothing will refer to the file.
        this.retention.replace(name);
        return;
      }
      this.chain.splice(index, run.length, { name, ...sizes, full: false });
      for (const file of run) this.retention.replace(file.name);
      this.stats.chainLength = this.chain.length;
      this.stats.merges++;
      this.logger.debug(
        { file: name, bytes: sizes.bytes, replaced: run.length, chain: this.chain.length },
        "merged incremental checkpoint files",
      );
    } catch (error) {
      this.logger.warn(
        { file: name, ...errorFields(error) },
        "merging incremental checkpoint files failed; the chain keeps them",
      );
    }
  }

  /** Writes a full base for checkpoint `id` from its chain, then builds later chains on it. */
  private async compact(id: number, files: readonly ChainFile[]): Promise<void> {
    const name = baseName(id);
    try {
      const sizes = await this.compactor.compactChain(
        files.map((f) => f.name),
        name,
        this.maxKeyGroups,
      );
      const index = this.chain.findIndex((file) => file.name === files.at(-1)?.name);
      if (index === -1) {
        // A full checkpoint started a new chain meanwhile: nothing will refer to the base.
        this.retention.replace(name);
        return;
      }
      for (const file of this.chain.slice(0, index + 1)) this.retention.replace(file.name);
      this.chain = [{ name, ...sizes, full: true }, ...this.chain.slice(index + 1)];
      this.stats.chainLength = this.chain.length;
      this.stats.compactions++;
      this.logger.info(
        { checkpoint: id, base: name, bytes: sizes.bytes, replaced: files.length },
        "wrote a new full base",
      );
    } catch (error) {
      this.logger.error(
        { checkpoint: id, ...errorFields(error) },
        "writing a full base failed; the chain keeps growing",
      );
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
