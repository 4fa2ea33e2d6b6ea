/**
 * One chaos run, in the spirit of StateFun's smoke end-to-end test (reference §6): a `statefun
 * run` process with checkpointing serves the command interpreter (embedded, or remote through
 * the official JS SDK in a process the killer leaves alone); random command trees arrive through
 * the playground ingress with idempotency keys while a killer SIGKILLs the runtime at random
 * moments and restarts it on the same state directory. Then verification rounds until every id
 * reports exactly its expected count, every expected egress tag is read exactly once, and a
 * SIGTERM stops the runtime with exit code 0. Any other outcome throws a {@link ChaosFailure}
 * that carries what is needed to debug it.
 */
import { setMaxListeners } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OUT_TOPIC } from "./commands.js";
import { createRandom, generateWorkload } from "./generator.js";
import type { WorkloadStats } from "./generator.js";
import { ProtocolError, takeNow } from "./http.js";
import { Ledger } from "./ledger.js";
import { freePort } from "../free-port.js";
import { OutputTail, startRemoteServer, stopIncarnation } from "./processes.js";
import type { Incarnation } from "./processes.js";
import { describeFailure, moduleYaml, reproduceCommand, waitUntil } from "./scenario-support.js";
import { createRuntimeSupervisor } from "./supervisor.js";
import type { Killer } from "./actors.js";
import { sendAll, startKiller, startReaders, verifyRounds } from "./actors.js";

/** Longest graceful stop (SIGTERM to exit), in ms: it may wait for a background compaction. */
const STOP_TIMEOUT_MS = 60_000;

/**
 * The disk backend's cache holds this fraction of the ids (at least 4), so that addresses are
 * evicted and reloaded all the time, also while checkpoints capture them.
 */
const CACHED_IDS_FRACTION = 4;

/** Where the interpreter runs. */
export type ChaosVariant = "embedded" | "remote";

/** The state backend the runtime runs on. */
export type ChaosBackend = "memory" | "disk";

/** Options of {@link runChaos}; times in ms. */
export interface ChaosOptions {
  readonly variant: ChaosVariant;
  readonly seed: number;
  /** Top-level command lists sent through the ingress. */
  readonly commands: number;
  /** Interpreter ids "0".."ids-1". */
  readonly ids: number;
  /** Least SIGKILLs before the run may pass. */
  readonly minKills: number;
  /** Most SIGKILLs; after them the runtime runs undisturbed. Default: no limit. */
  readonly maxKills?: number;
  /** Time an incarnation serves before its SIGKILL: uniform in [min, max] ms. */
  readonly killAfterMs: readonly [number, number];
  /** Ingress requests in flight at once. */
  readonly inflight: number;
  /** `--state-backend` of the runtime. Default "memory". */
  readonly stateBackend?: ChaosBackend;
  /** `--checkpoint-interval` of the runtime, e.g. "100ms". */
  readonly checkpointInterval: string;
  /** `--log-level` of the runtime. Default "warn". */
  readonly logLevel?: string;
  /** Concurrent readers of each egress topic (a read waits for a checkpoint). Default 4. */
  readonly readersPerTopic?: number;
  /** Deadline of the whole run. */
  readonly timeoutMs: number;
  /**
   * The run fails when nothing moves for this long: no command acknowledged, no egress record or
   * report read, no kill. Default 120000.
   */
  readonly stallTimeoutMs?: number;
  /** Deadline of verification, from the last acknowledged command. */
  readonly verifyTimeoutMs: number;
  /** Called every `progressEveryMs` (default 2000) while running, when given. */
  readonly onProgress?: (progress: ChaosProgress) => void;
  readonly progressEveryMs?: number;
}

/** Where a run stands. */
export interface ChaosProgress {
  phase: "start" | "send" | "verify" | "drain" | "stop" | "done";
  readonly elapsedMs: number;
  acked: number;
  retries: number;
  kills: number;
  /** Kills of an incarnation that had not yet begun serving (during recovery). */
  earlyKills: number;
  records: number;
  /** Records served again after a crash with a sequence number already read (skipped). */
  repeats: number;
  expectedRecords: number;
  matchedIds: number;
  round: number;
}

/** A passed run's figures. */
export interface ChaosResult extends ChaosProgress {
  readonly seed: number;
  readonly variant: ChaosVariant;
  readonly stateBackend: ChaosBackend;
  readonly commands: number;
  readonly ids: number;
  readonly expectedIncrements: number;
  readonly workload: WorkloadStats;
  /** Durations of the phases, in ms. */
  readonly sendMs: number;
  readonly verifyMs: number;
  readonly drainMs: number;
  readonly stopMs: number;
  readonly totalMs: number;
  /** Time from spawn to serving of each incarnation that got there, in ms. */
  readonly startupsMs: readonly number[];
}

/** A failed run; the message says why, how to reproduce it and what the processes printed. */
export class ChaosFailure extends Error {
  override readonly name = "ChaosFailure";
}

/** Runs one chaos scenario. @throws ChaosFailure when the run does not pass. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const startMs = Date.now();
  const workload = generateWorkload({
    seed: options.seed,
    commands: options.commands,
    ids: options.ids,
  });
  const ledger = new Ledger(workload);
  const dir = await mkdtemp(join(tmpdir(), `statefun-chaos-${options.variant}-`));
  const progress: ChaosProgress = {
    phase: "start",
    get elapsedMs() {
      return Date.now() - startMs;
    },
    acked: 0,
    retries: 0,
    kills: 0,
    earlyKills: 0,
    get records() {
      return ledger.records;
    },
    get repeats() {
      return ledger.repeats;
    },
    expectedRecords: workload.expectedTags.size,
    get matchedIds() {
      return ledger.matchedIds();
    },
    round: -1,
  };
  const aborter = new AbortController();
  const signal = aborter.signal;
  // Every request of the run takes this signal, and fetch removes its abort listener only once
  // the request is garbage collected: thousands pile up between collections, which is no leak.
  setMaxListeners(0, signal);
  let failure: Error | undefined;
  let rejectFailed: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const fail = (reason: string | Error): void => {
    if (failure !== undefined) return;
    failure = typeof reason === "string" ? new Error(reason) : reason;
    aborter.abort();
    rejectFailed(failure);
  };
  const deadline = setTimeout(
    () => fail(`the run did not finish within ${options.timeoutMs} ms (phase ${progress.phase})`),
    options.timeoutMs,
  );
  const stallMs = options.stallTimeoutMs ?? 120_000;
  let lastMove = { mark: "", atMs: Date.now() };
  const watchdog = setInterval(() => {
    const mark = `${progress.acked} ${ledger.records} ${ledger.reports} ${progress.kills}`;
    if (mark !== lastMove.mark) lastMove = { mark, atMs: Date.now() };
    else if (Date.now() - lastMove.atMs > stallMs) {
      fail(`nothing moved for ${stallMs} ms (phase ${progress.phase}): the runtime is stuck?`);
    }
  }, 1000);
  /** Runs a phase until it ends, the run fails or the deadline passes. */
  const phase = <T>(name: ChaosProgress["phase"], work: Promise<T>): Promise<T> => {
    progress.phase = name;
    work.catch(fail);
    return Promise.race([work, failed]);
  };
  const progressTimer =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => options.onProgress?.({ ...progress }), options.progressEveryMs ?? 2000);

  const [ingressPort, egressPort] = [await freePort(), await freePort()];
  const remoteTail = new OutputTail(40);
  let remote: Incarnation | undefined;
  const runtime = createRuntimeSupervisor({
    args: [
      "run",
      join(dir, "module.yaml"),
      "--state-dir",
      join(dir, "state"),
      "--checkpoint-interval",
      options.checkpointInterval,
      "--state-backend",
      options.stateBackend ?? "memory",
      ...(options.stateBackend === "disk"
        ? [
            "--state-cache-addresses",
            String(Math.max(4, Math.floor(options.ids / CACHED_IDS_FRACTION))),
          ]
        : []),
      "--admin-port",
      "0",
      "--admin-host",
      "127.0.0.1",
      "--log-level",
      options.logLevel ?? "warn",
    ],
    readyPort: ingressPort,
    onUnexpectedExit: fail,
  });
  const readers = startReaders(egressPort, options.readersPerTopic ?? 4, ledger, fail, signal);
  let killer: Killer | undefined;
  const times = { send: 0, verify: 0, drain: 0, stop: 0 };

  try {
    let endpointUrl: string | undefined;
    if (options.variant === "remote") {
      const server = await phase("start", startRemoteServer(remoteTail, 10_000));
      remote = server.incarnation;
      void remote.exited.then((exit) => {
        if (remote?.killedBy === undefined) {
          fail(`the remote function server exited unasked: ${JSON.stringify(exit)}`);
        }
      });
      endpointUrl = `http://127.0.0.1:${server.port}`;
    }
    await writeFile(join(dir, "module.yaml"), moduleYaml(ingressPort, egressPort, endpointUrl));
    runtime.start();

    killer = startKiller({
      runtime,
      random: createRandom(options.seed ^ 0x5eed),
      killAfterMs: options.killAfterMs,
      maxKills: options.maxKills ?? Number.POSITIVE_INFINITY,
      progress,
      signal,
    });
    killer.done.catch(fail);

    const sendStart = Date.now();
    await phase(
      "send",
      sendAll(ingressPort, workload.commands, options.inflight, progress, signal),
    );
    times.send = Date.now() - sendStart;

    const verifyStart = Date.now();
    await phase(
      "verify",
      verifyRounds({
        ingressPort,
        ids: options.ids,
        inflight: options.inflight,
        ledger,
        enoughKills: () => progress.kills >= options.minKills,
        timeoutMs: options.verifyTimeoutMs,
        progress,
        signal,
      }),
    );
    times.verify = Date.now() - verifyStart;
    await phase("verify", killer.stop());

    const drainStart = Date.now();
    const drained = waitUntil(ledger.allTagsReceived.bind(ledger), drainStart + 30_000, signal);
    await phase("drain", drained);
    if (!ledger.allTagsReceived()) {
      throw new Error(
        `${ledger.missingTags().length} egress records never arrived within 30000 ms`,
      );
    }
    await phase("drain", Promise.all(readers.map((reader) => reader.stop())));
    // What is left must be repeats of records already read (served again after a crash).
    for (
      let extra = await phase("drain", takeNow(egressPort, OUT_TOPIC, signal));
      extra !== undefined;
      extra = await phase("drain", takeNow(egressPort, OUT_TOPIC, signal))
    ) {
      const violation = ledger.recordTag(extra);
      if (violation !== undefined) fail(violation);
    }
    times.drain = Date.now() - drainStart;

    const stopStart = Date.now();
    const exit = await phase("stop", runtime.terminate(STOP_TIMEOUT_MS));
    times.stop = Date.now() - stopStart;
    if (exit.code !== 0 || exit.signal !== null) {
      throw new Error(
        `the runtime stopped on SIGTERM with ${JSON.stringify(exit)}, expected code 0`,
      );
    }
    if (failure !== undefined) throw failure;
    progress.phase = "done";
    return {
      ...progress,
      seed: options.seed,
      variant: options.variant,
      stateBackend: options.stateBackend ?? "memory",
      commands: options.commands,
      ids: options.ids,
      expectedIncrements: [...workload.expectedCounts.values()].reduce((a, b) => a + b, 0),
      workload: workload.stats,
      sendMs: times.send,
      verifyMs: times.verify,
      drainMs: times.drain,
      stopMs: times.stop,
      totalMs: Date.now() - startMs,
      startupsMs: runtime.startupsMs,
    };
  } catch (error) {
    const cause = failure ?? (error instanceof Error ? error : new Error(String(error)));
    fail(cause);
    throw new ChaosFailure(
      describeFailure({
        reason: cause instanceof ProtocolError ? `protocol: ${cause.message}` : cause.message,
        options,
        reproduce: reproduceCommand(options),
        progress,
        ledger,
        dir,
        runtimeTail: runtime.tail.text(),
        remoteTail: remote === undefined ? undefined : remoteTail.text(),
      }),
      { cause },
    );
  } finally {
    clearTimeout(deadline);
    clearInterval(watchdog);
    clearInterval(progressTimer);
    aborter.abort();
    await killer?.stop().catch(() => undefined);
    await runtime.kill();
    if (remote !== undefined) await stopIncarnation(remote, "SIGKILL");
    await Promise.all(readers.map((reader) => reader.stop()));
    if (failure === undefined) await rm(dir, { recursive: true, force: true });
  }
}
