/**
 * The concurrent actors of a chaos run: the sender (every command through the ingress, a few in
 * flight, each retried with its idempotency key until acknowledged), the readers (draining both
 * egress topics into the ledger), the killer (SIGKILL and immediate restart at random moments) and
 * the verifier (rounds of `verify` commands to every id until each reported its expected count).
 */
import type { Command } from "./commands.js";
import { OUT_TOPIC, VERIFY_TOPIC } from "./commands.js";
import type { Random } from "./generator.js";
import type { SourceCommand } from "./generator.js";
import type { TopicReader } from "./http.js";
import { putCommands, readTopic } from "./http.js";
import type { Ledger } from "./ledger.js";
import type { ChaosProgress } from "./scenario.js";
import { waitUntil } from "./scenario-support.js";
import type { RuntimeSupervisor } from "./supervisor.js";

/** Least time between the starts of two verification rounds, in ms. */
export const VERIFY_ROUND_MS = 500;
/** Longest wait for a round's reports before the next round, in ms. */
const VERIFY_ROUND_MAX_MS = 5000;

/** Runs `work` on each item with at most `inflight` at a time, in item order. */
async function pool<T>(
  items: readonly T[],
  inflight: number,
  signal: AbortSignal,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length && !signal.aborted; i = next++) {
      await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
}

/** Sends every command with `Idempotency-Key: cmd-<index>`; resolves once all are acknowledged. */
export function sendAll(
  ingressPort: number,
  commands: readonly SourceCommand[],
  inflight: number,
  progress: ChaosProgress,
  signal: AbortSignal,
): Promise<void> {
  return pool(commands, inflight, signal, async (command) => {
    const key = `cmd-${command.index}`;
    const outcome = await putCommands(ingressPort, command.target, command.cmds, key, signal);
    if (outcome === undefined) return;
    progress.acked++;
    progress.retries += outcome.retries;
  });
}

/** Long-poll time of the topic readers, in ms (a stopped reader ends within it). */
const POLL_MS = 250;

/**
 * Starts `perTopic` concurrent readers of each topic. Every record goes to the ledger, which
 * skips records served again after a crash; a violation it reports, or a protocol error, fails
 * the run through `fail`.
 */
export function startReaders(
  egressPort: number,
  perTopic: number,
  ledger: Ledger,
  fail: (reason: string | Error) => void,
  signal: AbortSignal,
): TopicReader[] {
  const check = (violation: string | undefined): void => {
    if (violation !== undefined) fail(violation);
  };
  return Array.from({ length: perTopic }, () => [
    readTopic(egressPort, OUT_TOPIC, POLL_MS, signal, (r) => check(ledger.recordTag(r)), fail),
    readTopic(
      egressPort,
      VERIFY_TOPIC,
      POLL_MS,
      signal,
      (record) => check(ledger.recordReport(record)),
      fail,
    ),
  ]).flat();
}

/** What the killer needs. */
export interface KillerOptions {
  readonly runtime: RuntimeSupervisor;
  readonly random: Random;
  /** Time an incarnation serves before its SIGKILL: uniform in [min, max] ms. */
  readonly killAfterMs: readonly [number, number];
  /** No kill after this many. */
  readonly maxKills: number;
  readonly progress: ChaosProgress;
  /** The run's signal: aborted when the run ends or fails. */
  readonly signal: AbortSignal;
}

/** A running killer. */
export interface Killer {
  /** Stops after the kill in progress, if any, leaving a running incarnation. */
  stop(): Promise<void>;
  /** Settles when the killer ends; rejects if a restart failed. */
  readonly done: Promise<void>;
}

/**
 * SIGKILLs each incarnation a random time after it began serving and restarts it at once; now and
 * then (never twice in a row) kills one while it is still recovering instead, at a random moment
 * within the previous incarnation's startup time.
 */
export function startKiller(options: KillerOptions): Killer {
  const { runtime, random, progress, signal } = options;
  const aborter = new AbortController();
  const stopped = (): boolean =>
    aborter.signal.aborted || signal.aborted || progress.kills >= options.maxKills;
  const done = (async () => {
    const [minMs, maxMs] = options.killAfterMs;
    let lastStartupMs: number | undefined;
    let previousEarly = false;
    while (!stopped()) {
      const early: boolean = lastStartupMs !== undefined && !previousEarly && random.next() < 0.25;
      if (early && lastStartupMs !== undefined) {
        await waitUntil(stopped, runtime.startedAtMs + random.int(0, lastStartupMs), signal);
      } else {
        lastStartupMs = (await runtime.whenReady(aborter.signal)) ?? lastStartupMs;
        await waitUntil(stopped, Date.now() + random.int(minMs, maxMs), signal);
      }
      if (stopped()) return;
      await runtime.crashAndRestart();
      previousEarly = early;
      progress.kills++;
      if (early) progress.earlyKills++;
    }
  })();
  return {
    done,
    async stop() {
      aborter.abort();
      await done;
    },
  };
}

/** What verification needs. */
export interface VerifyOptions {
  readonly ingressPort: number;
  readonly ids: number;
  readonly inflight: number;
  readonly ledger: Ledger;
  /** Also required before passing (the kills happen while verification goes on). */
  readonly enoughKills: () => boolean;
  readonly timeoutMs: number;
  readonly progress: ChaosProgress;
  readonly signal: AbortSignal;
}

/**
 * Sends `{op: "verify", round}` to every id (key `verify-<id>-<round>`), a round every
 * {@link VERIFY_ROUND_MS} at most, until every id has reported its expected count and there were
 * enough kills. Reports arrive through the ledger (the "verify" topic readers).
 *
 * @throws Error naming how many ids fell short when `timeoutMs` passes before every id matched.
 */
export async function verifyRounds(options: VerifyOptions): Promise<void> {
  const { ledger, progress, signal } = options;
  const passed = (): boolean => ledger.allMatched() && options.enoughKills();
  const deadline = Date.now() + options.timeoutMs;
  const ids = Array.from({ length: options.ids }, (_, id) => String(id));
  for (let round = 0; !passed(); round++) {
    progress.round = round;
    const roundStart = Date.now();
    const cmds: readonly Command[] = [{ op: "verify", round }];
    await pool(ids, options.inflight, signal, async (id) => {
      await putCommands(options.ingressPort, id, cmds, `verify-${id}-${round}`, signal);
    });
    // The next round starts after VERIFY_ROUND_MS, once this round's reports are in (or after
    // VERIFY_ROUND_MAX_MS): reports left unread would pile up in every checkpoint.
    const roundDone = (): boolean =>
      passed() ||
      (Date.now() >= roundStart + VERIFY_ROUND_MS && ledger.reportsOf(round) >= options.ids);
    await waitUntil(roundDone, roundStart + VERIFY_ROUND_MAX_MS, signal);
    // Once every id matched, rounds go on until enough kills happened (bounded by the run's
    // deadline and stall watchdog): the timeout is for ids that never reach their count.
    if (!ledger.allMatched() && Date.now() > deadline) {
      const short = options.ids - ledger.matchedIds();
      throw new Error(
        `verification timed out after ${options.timeoutMs} ms: ${short} ids never reported ` +
          "their expected count (lost messages?)",
      );
    }
  }
}
