/**
 * Recovery (DESIGN decision 5): finds the latest complete checkpoint whose files can all be read,
 * loads its chain's state into the backend, re-enqueues every pending message (inputs of
 * invocations that were in flight first), re-arms delayed messages, restores sink and ingress
 * state, and releases the egress records that were not yet released. A file that cannot be read
 * is reported clearly and the previous checkpoint is tried; incomplete files are never read.
 */
import { StatefunError, TypedValue, addressOf, isStatefunError } from "@statefun-ts/protocol";
import type { InvocationInput } from "@statefun-ts/protocol";
import type { Dispatcher } from "../core/dispatcher.js";
import type { EgressRouter } from "../core/egress.js";
import { keyGroupOf } from "../core/key-group.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { StateBackend } from "../state/backend.js";
import type { ChainFile, ResumePoint, RetainedCheckpoint } from "./coordinator.js";
import type { StatefulComponent } from "./cut.js";
import type { CheckpointFile } from "./format/index.js";
import { openCheckpoint } from "./format/index.js";
import type {
  CheckpointAddress,
  GlobalContent,
  KeyGroupContent,
  StateRecord,
  StoredTypedValue,
} from "./model.js";
import { CHECKPOINT_PREFIX, checkpointIdOf } from "./names.js";
import type { CheckpointStorage } from "./storage.js";

/** What recovery restores into. */
export interface RecoveryTargets {
  readonly backend: StateBackend;
  readonly dispatcher: Dispatcher;
  readonly egress: EgressRouter;
  readonly components: readonly StatefulComponent[];
  readonly logger: Logger;
  /** Times the progress reports of a long restore. */
  readonly clock: Clock;
}

/** A long restore reports how far it has come this often, in ms. */
const PROGRESS_INTERVAL_MS = 5000;

/** Counts the state records a restore has loaded, and logs the count every few seconds. */
class RestoreProgress {
  private readonly targets: RecoveryTargets;
  private readonly file: string;
  private readonly total: number;
  private loaded = 0;
  private lastReportMs: number;

  constructor(targets: RecoveryTargets, file: string, total: number) {
    this.targets = targets;
    this.file = file;
    this.total = total;
    this.lastReportMs = targets.clock.now();
  }

  add(records: number): void {
    this.loaded += records;
    const now = this.targets.clock.now();
    if (now - this.lastReportMs < PROGRESS_INTERVAL_MS) return;
    this.lastReportMs = now;
    const percent = Math.min(100, Math.floor((100 * this.loaded) / Math.max(1, this.total)));
    this.targets.logger.info(
      { file: this.file, records: this.loaded, of: this.total, percent },
      "restoring",
    );
  }
}

/** State records in a file's state sections. */
function stateRecordsOf(file: CheckpointFile): number {
  let records = 0;
  for (const section of file.sections) if (section.kind === "state") records += section.records;
  return records;
}

/** What a restore loaded, for logs. */
export interface RestoreSummary {
  readonly file: string;
  readonly id: number;
  readonly files: number;
  readonly stateRecords: number;
  readonly pendingMessages: number;
  readonly delayedMessages: number;
  readonly unreleasedEgress: number;
  /** True when the state was not restored: the backend kept it from a clean stop. */
  readonly keptState: boolean;
  readonly durationMs: number;
}

function toValue(stored: StoredTypedValue): TypedValue {
  return stored.hasValue
    ? TypedValue.fromBytes(stored.typename, stored.value)
    : TypedValue.absent(stored.typename);
}

function toAddress(address: CheckpointAddress) {
  return addressOf(address.functionType, address.id);
}

/** A failure of the state backend, not of the checkpoint: no older checkpoint would fare better. */
const BACKEND_FAILED = "stateBackendFailed";

/** Records a restore hands the backend before waiting for them to be written. */
const RECORDS_PER_WAIT = 100_000;

/**
 * Restores records into the backend in bulk: it may go on writing while the next key groups are
 * read and decoded. The restore waits for the writes every {@link RECORDS_PER_WAIT} records, so
 * that they hold bounded memory, and at the end of each file, as a later file may restore the same
 * addresses again. The backend's failures are marked as its own.
 */
class BulkRestore {
  private readonly backend: StateBackend;
  private unwaited = 0;

  constructor(backend: StateBackend) {
    this.backend = backend;
  }

  async add(records: readonly StateRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.backendStep(() => this.backend.restore(records, { markChanged: false, bulk: true }));
    this.unwaited += records.length;
    if (this.unwaited >= RECORDS_PER_WAIT) await this.written();
  }

  /** Waits for what was restored so far (at the end of a file). */
  async written(): Promise<void> {
    this.unwaited = 0;
    await this.backendStep(() => this.backend.whenWritten());
  }

  private async backendStep(step: () => void | Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      throw new StatefunError(
        isStatefunError(error) ? error.code : "storage-failed",
        `the ${this.backend.kind} state backend cannot take the restored state: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { [BACKEND_FAILED]: true } },
      );
    }
  }
}

/**
 * Loads a file's chain state, then returns its own pending content (nothing applied yet). With
 * `keptState`, the backend holds the state already: only the pending content is read.
 */
async function loadState(
  storage: CheckpointStorage,
  file: CheckpointFile,
  backend: StateBackend,
  keptState: boolean,
  progressOf: (total: number) => RestoreProgress,
): Promise<{
  pending: KeyGroupContent[];
  global: GlobalContent;
  chain: CheckpointFile[];
  records: number;
}> {
  const chain = await Promise.all(file.manifest.chain.map((name) => openCheckpoint(storage, name)));
  const progress = progressOf(
    keptState ? 0 : [...chain, file].reduce((n, f) => n + stateRecordsOf(f), 0),
  );
  let records = 0;
  const restore = new BulkRestore(backend);
  for (const part of keptState ? [] : chain) {
    // A chain member's own pending messages were superseded by later files: not decoded.
    const reading = part.keyGroupsInOrder({ stateOnly: true, encodedValues: true });
    for await (const { state } of reading) {
      await restore.add(state);
      records += state.length;
      progress.add(state.length);
    }
    await restore.written();
  }
  const pending: KeyGroupContent[] = [];
  const reading = file.keyGroupsInOrder({ encodedValues: true, withoutState: keptState });
  for await (const content of reading) {
    await restore.add(content.state);
    records += content.state.length;
    progress.add(content.state.length);
    if (content.messages.length > 0 || content.delayed.length > 0) pending.push(content);
  }
  await restore.written();
  return { pending, global: await file.readGlobal(), chain, records };
}

/** Applies a file's pending content: messages, delayed messages, components, egress. */
function applyPending(
  pending: readonly KeyGroupContent[],
  global: GlobalContent,
  targets: RecoveryTargets,
  maxKeyGroups: number,
): { messages: number; delayed: number } {
  let messages = 0;
  let delayed = 0;
  for (const content of pending) {
    // Messages of one target are contiguous and in delivery order.
    let index = 0;
    while (index < content.messages.length) {
      const target = (content.messages[index] as KeyGroupContent["messages"][number]).target;
      const batch: InvocationInput[] = [];
      while (index < content.messages.length) {
        const message = content.messages[index] as KeyGroupContent["messages"][number];
        if (message.target.functionType !== target.functionType || message.target.id !== target.id)
          break;
        batch.push({
          caller: message.caller === undefined ? undefined : toAddress(message.caller),
          argument: toValue(message.argument),
        });
        index++;
      }
      targets.dispatcher.restoreMessages(toAddress(target), batch);
      messages += batch.length;
    }
    for (const message of content.delayed) {
      const sender = toAddress(message.sender);
      targets.dispatcher.delayed.restore({
        dueMs: message.dueMs,
        sender,
        senderKeyGroup: keyGroupOf(sender.id, maxKeyGroups),
        cancellationToken: message.cancellationToken,
        message: { target: toAddress(message.target), value: toValue(message.argument) },
      });
      delayed++;
    }
  }
  const byId = new Map(targets.components.map((component) => [component.id, component]));
  for (const state of [...global.sinks, ...global.ingresses]) {
    const component = byId.get(state.id);
    if (component === undefined) {
      targets.logger.warn(
        { component: state.id },
        "checkpoint holds state of a component that no longer exists; dropped",
      );
      continue;
    }
    component.restoreState(state.bytes);
  }
  targets.egress.releaseRestored(
    global.egress.map((record) => ({ egress: record.egress, value: toValue(record.value) })),
  );
  return { messages, delayed };
}

/**
 * Restores one file (a savepoint, or a checkpoint with its chain) into `targets`. Returns what
 * was loaded, and the files read: the chain, oldest first, then the file itself.
 *
 * Restored addresses do not count as changed: the file (or, for a savepoint, its copy) is the base
 * the next checkpoints build on.
 *
 * @param options.keptState - the backend holds the file's state already (kept by a clean stop).
 * @param options.beforeApplying - runs once the state is loaded, before the pending content is
 *   applied (nothing has run yet), with that content.
 */
export async function restoreFile(
  storage: CheckpointStorage,
  file: CheckpointFile,
  name: string,
  targets: RecoveryTargets,
  maxKeyGroups: number,
  options: {
    readonly keptState?: boolean;
    readonly beforeApplying?: (
      pending: readonly KeyGroupContent[],
      global: GlobalContent,
    ) => Promise<void>;
  } = {},
): Promise<{ summary: RestoreSummary; files: readonly CheckpointFile[] }> {
  const started = performance.now();
  const keptState = options.keptState ?? false;
  const loaded = await loadState(
    storage,
    file,
    targets.backend,
    keptState,
    (total) => new RestoreProgress(targets, name, total),
  );
  await options.beforeApplying?.(loaded.pending, loaded.global);
  const applied = applyPending(loaded.pending, loaded.global, targets, maxKeyGroups);
  const summary = {
    file: name,
    id: file.manifest.id,
    files: loaded.chain.length + 1,
    stateRecords: loaded.records,
    pendingMessages: applied.messages,
    delayedMessages: applied.delayed,
    unreleasedEgress: loaded.global.egress.length,
    keptState,
    durationMs: Math.round(performance.now() - started),
  };
  return { summary, files: [...loaded.chain, file] };
}

/**
 * Recovers from the latest readable checkpoint in `storage`, or does nothing when there is none.
 *
 * @returns where the coordinator continues, or `undefined` for a fresh start.
 * @throws StatefunError `corrupt-data` when checkpoints exist but none can be read (the
 *   application does not start empty over data it could not read); the state backend's own
 *   failure as it is (no older checkpoint would fare better).
 */
export async function recoverLatest(
  storage: CheckpointStorage,
  targets: RecoveryTargets,
  maxKeyGroups: number,
): Promise<{ resume: ResumePoint; summary: RestoreSummary } | undefined> {
  const names = (await storage.list(CHECKPOINT_PREFIX))
    .filter((name) => checkpointIdOf(name) !== undefined)
    .sort();
  if (names.length === 0) return undefined;
  const failures: string[] = [];
  for (let i = names.length - 1; i >= 0; i--) {
    const name = names[i] as string;
    try {
      const file = await openCheckpoint(storage, name);
      if (file.manifest.maxKeyGroups !== maxKeyGroups) {
        throw new StatefunError(
          "invalid-config",
          `the checkpoints in ${storage.location} were taken with ${file.manifest.maxKeyGroups} key groups, but the runtime is configured with ${maxKeyGroups}; restore a savepoint to change it`,
        );
      }
      const kept = targets.backend.resume?.({ id: file.manifest.id, name }) ?? false;
      const restored = await restoreFile(storage, file, name, targets, maxKeyGroups, {
        keptState: kept,
      });
      const summary = restored.summary;
      const retained = await retainedBefore(storage, names.slice(0, i + 1));
      const chain: ChainFile[] = restored.files.map((part, index) => ({
        name: part.name,
        bytes: part.sizeBytes,
        stateBytes: part.stateBytes,
        stateRecords: part.stateRecords,
        full: index === 0 && (part !== file || file.manifest.full),
      }));
      const quiet =
        summary.pendingMessages === 0 &&
        summary.delayedMessages === 0 &&
        summary.unreleasedEgress === 0;
      return { resume: { lastId: file.manifest.id, chain, retained, quiet }, summary };
    } catch (error) {
      if (!isStatefunError(error, "corrupt-data") && !isStatefunError(error, "storage-failed"))
        throw error;
      if (error.details[BACKEND_FAILED] === true) throw error;
      failures.push(`${name}: ${error.message}`);
      targets.logger.error(
        { file: name, ...errorFields(error) },
        "cannot restore this checkpoint; trying the previous one",
      );
      // Writes of the failed restore still in flight must not land after the clear.
      await targets.backend.whenWritten().catch(() => undefined);
      targets.backend.clear();
    }
  }
  throw new StatefunError(
    "corrupt-data",
    `checkpoints exist in ${storage.location} but none can be restored:\n  ${failures.join("\n  ")}`,
  );
}

async function retainedBefore(
  storage: CheckpointStorage,
  names: readonly string[],
): Promise<RetainedCheckpoint[]> {
  const retained: RetainedCheckpoint[] = [];
  for (const name of names) {
    try {
      const file = await openCheckpoint(storage, name);
      retained.push({ id: file.manifest.id, name, chain: file.manifest.chain });
    } catch {
      // Unreadable older files are not retained (and will not be deleted by retention either).
    }
  }
  return retained;
}
