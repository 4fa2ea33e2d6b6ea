/**
 * The chaos test's HTTP clients: ingress PUTs retried with the same idempotency key until
 * acknowledged (the runtime may be dead, restarting or recovering at any moment), and topic
 * readers that drain the playground egress with long polls. Both stop when the run is aborted.
 */
import { SEQUENCE_HEADER } from "../../src/io/playground/egress.js";
import { COMMANDS_TYPENAME } from "./commands.js";
import type { Command } from "./commands.js";

/** The first and the longest pause between attempts of one request, in ms. */
const RETRY_INITIAL_MS = 10;
const RETRY_MAX_MS = 250;

/** A non-retryable answer: the harness or the runtime broke the protocol. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

/** Resolves after `ms`, or at once when `signal` aborts (a retry pause, never synchronisation). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** What became of one acknowledged PUT. */
export interface PutOutcome {
  /** Failed attempts before the acknowledgement (connection errors and 5xx). */
  readonly retries: number;
}

/**
 * PUTs a command list to `/chaos/interpreter/<target>` with `Idempotency-Key: <key>` until the
 * ingress answers 200, retrying connection errors and 5xx with the same key.
 *
 * @returns `undefined` when `signal` aborted first.
 * @throws ProtocolError for any other status.
 */
export async function putCommands(
  ingressPort: number,
  target: string,
  cmds: readonly Command[],
  key: string,
  signal: AbortSignal,
): Promise<PutOutcome | undefined> {
  const url = `http://127.0.0.1:${ingressPort}/chaos/interpreter/${target}`;
  const body = JSON.stringify(cmds);
  let backoffMs = RETRY_INITIAL_MS;
  for (let retries = 0; !signal.aborted; retries++) {
    try {
      const response = await fetch(url, {
        method: "PUT",
        headers: { "Content-Type": `application/vnd.${COMMANDS_TYPENAME}`, "Idempotency-Key": key },
        body,
        signal,
      });
      const text = await response.text();
      if (response.status === 200) return { retries };
      if (response.status < 500) {
        throw new ProtocolError(`PUT ${url} (key ${key}) answered ${response.status}: ${text}`);
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      // A connection error (the runtime is down) or the abort: retry, or end below.
    }
    await pause(backoffMs, signal);
    backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
  }
  return undefined;
}

/** A record read from a playground egress topic. */
export interface TopicRecord {
  /** The record's number within its topic (header `Statefun-Record-Sequence`). */
  readonly seq: number;
  readonly payload: string;
}

/** The record of a 200 answer, or a protocol error when it lacks a valid sequence number. */
function recordOf(url: string, response: Response, payload: string): TopicRecord {
  const header = response.headers.get(SEQUENCE_HEADER);
  if (header === null || !/^[1-9]\d*$/.test(header)) {
    throw new ProtocolError(
      `GET ${url}: expected a sequence number in ${SEQUENCE_HEADER}, found ${JSON.stringify(header)}`,
    );
  }
  return { seq: Number(header), payload };
}

/** A loop draining one egress topic. */
export interface TopicReader {
  /** Records read so far. */
  readonly received: number;
  /** Ends the loop after the poll in progress (never abandons a poll: it may carry a record). */
  stop(): Promise<void>;
}

/**
 * Reads `topic` with `GET /<topic>?waitMs=<pollMs>` until stopped, handing every record to
 * `onRecord` in order. Connection errors and 503 (the runtime is stopping) are retried. Polls
 * are not aborted by `signal` but end within `pollMs` once it is aborted, as the runtime answers
 * them; a record answered while stopping is still handed over.
 *
 * @param onError called with a {@link ProtocolError} for an unexpected status (the loop then
 *   ends) or a 200 whose body was cut off (the loop goes on).
 */
export function readTopic(
  egressPort: number,
  topic: string,
  pollMs: number,
  signal: AbortSignal,
  onRecord: (record: TopicRecord) => void,
  onError: (error: ProtocolError) => void,
): TopicReader {
  const url = `http://127.0.0.1:${egressPort}/${topic}?waitMs=${pollMs}`;
  let stopped = false;
  let received = 0;
  const loop = (async () => {
    let backoffMs = RETRY_INITIAL_MS;
    while (!stopped && !signal.aborted) {
      let status = 0;
      let text: string;
      let response: Response;
      try {
        response = await fetch(url);
        status = response.status;
        text = await response.text();
      } catch {
        // A 200 whose body was cut off took a record this side never saw: say so, loudly.
        if (status === 200)
          onError(new ProtocolError(`GET ${url}: a 200 answer's body was cut off`));
        await pause(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
        continue;
      }
      backoffMs = RETRY_INITIAL_MS;
      if (status === 200) {
        let record: TopicRecord;
        try {
          record = recordOf(url, response, text);
        } catch (error) {
          onError(error as ProtocolError);
          return;
        }
        received++;
        onRecord(record);
      } else if (status === 503) {
        await pause(RETRY_MAX_MS, signal);
      } else if (status !== 204) {
        onError(new ProtocolError(`GET ${url} answered ${status}: ${text}`));
        return;
      }
    }
  })();
  return {
    get received() {
      return received;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** GET `/<topic>` once without waiting, retrying connection errors; the record, or `undefined` on 204. */
export async function takeNow(
  egressPort: number,
  topic: string,
  signal: AbortSignal,
): Promise<TopicRecord | undefined> {
  const url = `http://127.0.0.1:${egressPort}/${topic}`;
  let backoffMs = RETRY_INITIAL_MS;
  while (!signal.aborted) {
    try {
      const response = await fetch(url);
      const text = await response.text();
      if (response.status === 200) return recordOf(url, response, text);
      if (response.status === 204) return undefined;
      if (response.status !== 503) {
        throw new ProtocolError(`GET ${url} answered ${response.status}: ${text}`);
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
    }
    await pause(backoffMs, signal);
    backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
  }
  return undefined;
}
