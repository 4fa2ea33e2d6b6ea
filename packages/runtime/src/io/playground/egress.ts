/**
 * The playground egress (`io.statefun.playground.v1/egress`, reference §3.8, checklists G2/G3):
 * functions append payloads to named topics, HTTP clients take them with `GET /<topic>`, oldest
 * first, one per request. Deliberate differences from the official playground, which always
 * answers with status line 200:
 *  - an empty topic answers 204 (the official writes an empty body with status 200), an unknown
 *    topic 404, other methods 405;
 *  - a full topic refuses records in `validate`, so the runtime retries the emitting invocation
 *    with backoff until a client reads, instead of dropping the record as the official does;
 *  - `GET /<topic>?waitMs=<n>` long-polls for up to n ms instead of answering empty at once;
 *  - every answer carries the record's sequence number within its topic, so that a reader can
 *    recognise a record served again after a crash.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypedValue } from "@statefun-ts/protocol";
import { PLAYGROUND_EGRESS_ID, PLAYGROUND_EGRESS_KIND } from "../../config/module/playground.js";
import { noopLogger } from "../../observability/logger.js";
import type { Logger } from "../../observability/logger.js";
import type { StatefulComponent } from "../../checkpoint/cut.js";
import { StatefunError } from "@statefun-ts/protocol";
import type { Egress, EgressContext } from "../egress.js";
import type { ComponentStore } from "../component-store.js";
import { decodeEgressRecord } from "./egress-record.js";
import type { ListenAddress, ResponseErrorCode } from "./http-server.js";
import { PlaygroundHttpServer, sendEmpty, sendError, sendText } from "./http-server.js";
import type { PlaygroundEgressOptions } from "./options.js";
import { resolvePlaygroundEgressOptions } from "./options.js";
import { TopicQueue } from "./topic-queue.js";
import type { TopicRecord, TopicSnapshot } from "./topic-queue.js";

/** The playground egress: an {@link Egress} that also tells where it listens. */
export interface PlaygroundEgress extends Egress, StatefulComponent {
  /**
   * The bound interface and port (the OS-picked one when configured with port 0).
   *
   * @throws StatefunError `illegal-state` before `start()`.
   */
  address(): ListenAddress;
}

/** The longest accepted `waitMs` of a long poll, in ms. */
export const MAX_WAIT_MS = 30_000;

const NO_STORE = { "Cache-Control": "no-store" };

/** The response header carrying a record's sequence number within its topic. */
export const SEQUENCE_HEADER = "Statefun-Record-Sequence";

/** Parses `waitMs` from a query string: 0 when absent, a reason string when invalid. */
function parseWaitMs(query: string): number | string {
  const values = new URLSearchParams(query).getAll("waitMs");
  if (values.length === 0) return 0;
  const text = values[0] as string;
  if (values.length > 1 || !/^\d{1,5}$/.test(text) || Number(text) > MAX_WAIT_MS) {
    return `expected waitMs to be one integer from 0 to ${MAX_WAIT_MS} (ms), found ${JSON.stringify(values.join(","))}`;
  }
  return Number(text);
}

/** The component state of the queues once they are kept in a store: no topics. */
const NO_QUEUES = new TextEncoder().encode("{}");

function recordKey(topic: string, seq: number): string {
  return `record:${topic}:${seq}`;
}

function nextKey(topic: string): string {
  return `next:${topic}`;
}

/** The topic and (for a record) sequence number of a store key; `undefined` when malformed. */
function parseStoreKey(key: string): { topic: string; seq: number | undefined } | undefined {
  if (key.startsWith("next:")) return { topic: key.slice(5), seq: undefined };
  const at = key.lastIndexOf(":");
  if (!key.startsWith("record:") || at < 7) return undefined;
  const seq = Number(key.slice(at + 1));
  return Number.isSafeInteger(seq) && seq > 0 ? { topic: key.slice(7, at), seq } : undefined;
}

/**
 * Component state of the queues without a store:
 * `{"<topic>": {"next": n, "records": [[seq, payload], ...]}}`.
 */
function encodeQueues(snapshot: readonly (readonly [string, TopicSnapshot])[]): string {
  const json: Record<string, { next: number; records: [number, string][] }> = {};
  for (const [topic, { next, records }] of snapshot) {
    json[topic] = { next, records: records.map((record) => [record.seq, record.payload]) };
  }
  return JSON.stringify(json);
}

/**
 * Reads the checkpoint form of the queues.
 *
 * @throws StatefunError `corrupt-data` when the bytes are not that form.
 */
function decodeQueues(bytes: Uint8Array): [string, TopicSnapshot][] {
  const corrupt = (reason: string, cause?: unknown): StatefunError =>
    new StatefunError("corrupt-data", `the playground egress state in the checkpoint ${reason}`, {
      cause,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw corrupt("is not JSON", error);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw corrupt("is not an object of topics");
  }
  const topics: [string, TopicSnapshot][] = [];
  for (const [topic, value] of Object.entries(parsed)) {
    const { next, records } = (value ?? {}) as { next?: unknown; records?: unknown };
    const valid =
      typeof next === "number" &&
      Array.isArray(records) &&
      records.every(
        (r) =>
          Array.isArray(r) &&
          r.length === 2 &&
          typeof r[0] === "number" &&
          typeof r[1] === "string",
      );
    if (!valid) {
      throw corrupt(
        `has topic ${JSON.stringify(topic)} not of the form {"next": n, "records": [[seq, payload], ...]}`,
      );
    }
    topics.push([
      topic,
      {
        next,
        records: (records as [number, string][]).map(([seq, payload]) => ({ seq, payload })),
      },
    ]);
  }
  return topics;
}

/** A `GET` waiting for a payload; `shutdown` answers it 503. */
interface LongPoll {
  shutdown(): void;
}

/**
 * Creates the playground egress, id `io.statefun.playground/egress`.
 *
 * Records: typename `io.statefun.playground/EgressRecord`, UTF-8 JSON
 * `{"topic": string, "payload": string}` (the SDK's `playgroundEgressMessage` builds them), for
 * a topic listed in `topics`. `validate` returns the reason a record is refused, including a
 * topic that holds `maxQueuedPerTopic` records: the emitting invocation then fails and is retried
 * by the runtime with backoff until a client makes room, so nothing is dropped. The bound is
 * checked per record, so one invocation emitting several records to an almost full topic may
 * exceed it by the records of that invocation.
 *
 * HTTP: `GET /<topic>` (percent-decoded) removes and returns the oldest payload as a UTF-8 body
 * (`text/plain; charset=utf-8`, 200) with its sequence number within the topic (1, 2, 3, …) in
 * the header `Statefun-Record-Sequence`, or 204 with an empty body when the topic is empty; 404
 * for a topic not configured; 405 for other methods. `GET /<topic>?waitMs=<n>` (0–30000 ms) waits
 * up to n ms for a payload before answering 204; a client that disconnects while waiting takes
 * nothing. Errors have a JSON body `{"error": reason, "code": code}`. A record whose answer could
 * not be written (the reader went away first) goes back into its queue in sequence order.
 *
 * Without checkpointing, queues live in memory only: records not read when the egress stops are
 * lost (logged). With checkpointing, every record not delivered yet, and the topic's next
 * sequence number, is kept in the egress's store (`StatefulComponent.useStore`): a checkpoint
 * carries the records offered and delivered since the previous one, and a crash loses no record.
 * Delivery is then at least once: a record read after the last completed checkpoint is served
 * again after a crash, with the same sequence number and payload, so a reader that remembers the
 * sequence numbers it has processed skips it. A record never gets another record's number, nor a
 * repeat another number.
 * Waiting polls are answered 503 on stop.
 *
 * @throws StatefunError `invalid-config` for invalid options.
 */
export function createPlaygroundEgress(options: PlaygroundEgressOptions): PlaygroundEgress {
  const resolved = resolvePlaygroundEgressOptions(options);
  const queues = new Map(resolved.topics.map((topic) => [topic, new TopicQueue(topic)]));
  const polls = new Set<LongPoll>();
  let logger: Logger = noopLogger;
  let context: EgressContext | undefined;
  /** Where the queues are kept with checkpointing on (see {@link loadStore}). */
  let store: ComponentStore | undefined;
  let loaded = false;
  const encoder = new TextEncoder();

  /** Loads the queues from the store once (after recovery restored it; see `useStore`). */
  function ensureLoaded(): void {
    if (loaded || store === undefined) return;
    loaded = true;
    loadStore(store);
  }

  /** Writes a whole queue into `target` (restored from the earlier form). */
  function keep(target: ComponentStore, queue: TopicQueue): void {
    const snapshot = queue.snapshot();
    for (const record of snapshot.records) {
      target.put(recordKey(queue.topic, record.seq), encoder.encode(record.payload));
    }
    target.put(nextKey(queue.topic), encoder.encode(String(snapshot.next)));
  }

  function restoreTopic(topic: string, snapshot: TopicSnapshot, source: string): void {
    const queue = queues.get(topic);
    if (queue === undefined) {
      logger.warn(
        { topic, records: snapshot.records.length },
        `${source} holds records of a topic no longer configured; dropped`,
      );
      return;
    }
    try {
      queue.restore(snapshot);
    } catch (error) {
      throw new StatefunError(
        "corrupt-data",
        `the playground egress state in ${source} is inconsistent: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * Loads the queues kept in `target` (restored with the state). Every record not yet delivered is
   * an entry `record:<topic>:<seq>` (its payload), and every topic that had a record an entry
   * `next:<topic>` (its next sequence number): a checkpoint then holds the records offered and
   * delivered since the previous one, not the whole queue.
   */
  function loadStore(target: ComponentStore): void {
    // Every topic is restored, empty when the store holds nothing of it.
    const stored = new Map<string, { next: number; records: TopicRecord[] }>();
    for (const topic of queues.keys()) stored.set(topic, { next: 1, records: [] });
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const dropped: string[] = [];
    for (const [key, value] of target.entries()) {
      const entry = parseStoreKey(key);
      if (entry === undefined) {
        throw new StatefunError(
          "corrupt-data",
          `the playground egress state holds the key ${JSON.stringify(key)}; expected next:<topic> or record:<topic>:<seq>`,
        );
      }
      if (!queues.has(entry.topic)) {
        dropped.push(key);
        continue;
      }
      const topic = stored.get(entry.topic) as { next: number; records: TopicRecord[] };
      const text = decoder.decode(value);
      if (entry.seq === undefined) topic.next = Number(text);
      else topic.records.push({ seq: entry.seq, payload: text });
    }
    for (const key of dropped) target.put(key, undefined);
    if (dropped.length > 0) {
      logger.warn(
        { entries: dropped.length },
        "the state holds records of topics no longer configured; dropped",
      );
    }
    for (const [topic, snapshot] of stored) {
      snapshot.records.sort((a, b) => a.seq - b.seq);
      restoreTopic(topic, snapshot, "the state");
    }
  }

  /**
   * Answers a read with a handed-out record. The record is forgotten once the answer has been
   * written to the socket, and put back when the reader went away before that.
   */
  function hand(res: ServerResponse, queue: TopicQueue, record: TopicRecord): void {
    res.once("finish", () => {
      queue.settle(record, true);
      store?.put(recordKey(queue.topic, record.seq), undefined);
    });
    res.once("close", () => {
      if (!res.writableFinished) {
        queue.settle(record, false);
        logger.debug({ topic: queue.topic, seq: record.seq }, "reader went away; record put back");
      }
    });
    if (res.destroyed || res.writableEnded) {
      queue.settle(record, false);
      return;
    }
    sendText(res, record.payload, { ...NO_STORE, [SEQUENCE_HEADER]: String(record.seq) });
  }

  function poll(res: ServerResponse, queue: TopicQueue, waitMs: number): void {
    const topic = queue.topic;
    const finish = (): void => {
      clearTimeout(timer);
      withdraw();
      polls.delete(longPoll);
      res.off("close", onClose);
    };
    const deliver = (record: TopicRecord): boolean => {
      const socket = res.socket;
      if (res.writableEnded || res.destroyed || socket === null || socket.destroyed) return false;
      finish();
      // Records are handed out as a checkpoint completes, in the same step that resolves the
      // acknowledgements it made durable. Each answer is a socket write; written on the next turn,
      // they go out after those acknowledgements instead of ahead of them.
      setImmediate(() => hand(res, queue, record));
      return true;
    };
    const onClose = (): void => {
      finish();
      logger.debug({ topic }, "long-poll client went away before a record arrived");
    };
    const longPoll: LongPoll = {
      shutdown() {
        finish();
        sendError(res, 503, "shutdown", "the playground egress is stopping");
      },
    };
    const timer = setTimeout(() => {
      finish();
      sendEmpty(res, 204);
    }, waitMs);
    const withdraw = queue.wait(deliver);
    polls.add(longPoll);
    res.once("close", onClose);
    logger.debug({ topic, waitMs }, "long-poll waiting for a record");
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "";
    const refuse = (status: number, code: ResponseErrorCode, reason: string): void => {
      logger.debug({ method: req.method, path: url, status, reason }, "egress request refused");
      sendError(res, status, code, reason, status === 405 ? { Allow: "GET" } : {});
    };
    if (req.method !== "GET") {
      return refuse(405, "method-not-allowed", `expected GET, found ${String(req.method)}`);
    }
    const mark = url.indexOf("?");
    const path = mark === -1 ? url : url.slice(0, mark);
    let topic: string;
    try {
      topic = decodeURIComponent(path.startsWith("/") ? path.slice(1) : path);
    } catch {
      return refuse(
        400,
        "invalid-argument",
        `malformed percent-encoding in ${JSON.stringify(path)}`,
      );
    }
    const queue = queues.get(topic);
    if (queue === undefined) {
      const known = resolved.topics.map((t) => JSON.stringify(t)).join(", ") || "none";
      return refuse(
        404,
        "unknown-topic",
        `expected GET /<topic> with a topic of ${known}, found ${JSON.stringify(topic)}`,
      );
    }
    const waitMs = parseWaitMs(mark === -1 ? "" : url.slice(mark + 1));
    if (typeof waitMs === "string") return refuse(400, "invalid-argument", waitMs);
    const record = queue.take();
    if (record !== undefined) hand(res, queue, record);
    else if (waitMs === 0) sendEmpty(res, 204);
    else poll(res, queue, waitMs);
  }

  const server = new PlaygroundHttpServer("playground egress", handle);
  return {
    id: PLAYGROUND_EGRESS_ID,
    validate(value: TypedValue) {
      const record = decodeEgressRecord(value);
      if (typeof record === "string") return record;
      const queue = queues.get(record.topic);
      if (queue === undefined) {
        const known = resolved.topics.join(", ") || "none";
        return `topic ${JSON.stringify(record.topic)} is not one of the egress's topics (${known})`;
      }
      if (queue.size >= resolved.maxQueuedPerTopic) {
        return (
          `topic ${JSON.stringify(record.topic)} holds ${queue.size} records, its limit ` +
          "(maxQueuedPerTopic); the invocation is retried once clients read records"
        );
      }
      return undefined;
    },
    publish(records: readonly TypedValue[]) {
      ensureLoaded();
      for (const value of records) {
        const record = decodeEgressRecord(value);
        const queue = typeof record === "string" ? undefined : queues.get(record.topic);
        if (typeof record === "string" || queue === undefined) {
          // The runtime validates records before publishing; reaching here is a runtime bug.
          logger.error(
            { typename: value.typename, reason: record },
            "unvalidated egress record dropped",
          );
          continue;
        }
        const offered = queue.offer(record.payload);
        if (store !== undefined) {
          store.put(recordKey(queue.topic, offered.seq), encoder.encode(offered.payload));
          store.put(nextKey(queue.topic), encoder.encode(String(offered.seq + 1)));
        }
      }
    },
    useStore(target: ComponentStore, runtimeLogger: Logger) {
      store = target;
      logger = runtimeLogger.child({ egress: PLAYGROUND_EGRESS_ID });
    },
    captureState() {
      // Kept in the store, the queues are in the checkpoint's state changes already.
      if (store !== undefined) return () => NO_QUEUES;
      const snapshot = [...queues.values()].map(
        (queue) => [queue.topic, queue.snapshot()] as const,
      );
      return () => new TextEncoder().encode(encodeQueues(snapshot));
    },
    restoreState(bytes: Uint8Array) {
      // Once per restore attempt: recovery may fall back to an older checkpoint and restore again.
      loaded = false;
      ensureLoaded();
      for (const [topic, snapshot] of decodeQueues(bytes)) {
        restoreTopic(topic, snapshot, "the checkpoint");
        const queue = queues.get(topic);
        if (store !== undefined && queue !== undefined) keep(store, queue);
      }
    },
    async start(startContext: EgressContext) {
      context = startContext;
      logger = startContext.logger.child({ egress: PLAYGROUND_EGRESS_ID });
      ensureLoaded();
      const bound = await server.start(resolved.host, resolved.port);
      logger.info(
        { host: bound.host, port: bound.port, topics: resolved.topics },
        "playground egress listening",
      );
    },
    async stop() {
      const wasRunning = server.state === "running";
      for (const longPoll of [...polls]) longPoll.shutdown();
      await server.stop();
      if (!wasRunning) return;
      const undelivered: Record<string, number> = {};
      for (const queue of queues.values())
        if (queue.size > 0) undelivered[queue.topic] = queue.size;
      if (Object.keys(undelivered).length === 0) {
        logger.info({}, "playground egress stopped");
      } else if (context?.durable === true) {
        logger.info(
          { undelivered },
          "playground egress stopped; records not read yet are kept in the checkpoint",
        );
      } else {
        logger.warn({ undelivered }, "playground egress stopped; records never read are lost");
      }
    },
    address: () => server.address(),
    describe() {
      const port = server.bound?.port ?? resolved.port;
      return { kind: PLAYGROUND_EGRESS_KIND, host: resolved.host, port, topics: resolved.topics };
    },
  };
}
