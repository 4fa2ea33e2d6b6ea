/**
 * Shared test fixture for the admin and observability tests: a real runtime with three embedded
 * functions (one forwarding to another and to an egress, one counting, one always throwing), a
 * recording egress, a capturing logger, a Prometheus text parser and a deadline-bound wait.
 */
import { addressOf, TypedValue } from "@statefun-ts/protocol";
import {
  createStatefulFunctions,
  egressMessageBuilder,
  intType,
  messageBuilder,
} from "@statefun-ts/sdk";
import { createRuntime, ManualClock } from "../../src/index.js";
import type { Egress, Ingress, LogFields, Logger, Runtime } from "../../src/index.js";

/** Forwards each int to `test/count` (same id) and to the egress `test/out`. */
export const FORWARD = "test/forward";
/** Adds each int to its `total` state. */
export const COUNT = "test/count";
/** Always throws `boom <id>`. */
export const FAILING = "test/failing";
export const EGRESS_ID = "test/out";
/** The manual clock's start: 2023-11-14T22:13:20.000Z. */
export const START_MS = 1_700_000_000_000;

/** One captured log line. */
export interface LogLine {
  readonly level: "error" | "warn" | "info" | "debug";
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line (bindings merged into the fields). */
export function captureLogger(lines: LogLine[] = [], bindings: LogFields = {}): Logger {
  const at =
    (level: LogLine["level"]) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields: { ...bindings, ...fields }, message });
    };
  return {
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    child: (more) => captureLogger(lines, { ...bindings, ...more }),
  };
}

/** An ingress that takes nothing; `describe()` throws once `broken` is set. */
export function fakeIngress(): Ingress & { broken: boolean } {
  const ingress = {
    id: "test/in",
    broken: false,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    describe() {
      if (ingress.broken) throw new Error("describe exploded");
      return { kind: "test/fake", port: 1234 };
    },
  };
  return ingress;
}

/** An egress that keeps the records it is given. */
export function recordingEgress(): Egress & { readonly records: TypedValue[] } {
  const records: TypedValue[] = [];
  return {
    id: EGRESS_ID,
    records,
    validate: () => undefined,
    publish: (batch) => void records.push(...batch),
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    describe: () => ({ kind: "test/recording", records: records.length }),
  };
}

/** A runtime with the three test functions, a manual clock and 60 s retry backoff. */
export function testRuntime(lines: LogLine[] = [], ingress = fakeIngress()): Runtime {
  const functions = createStatefulFunctions()
    .bind({
      typename: FORWARD,
      fn(context, message) {
        const n = message.as(intType);
        context.send(
          messageBuilder({ typename: COUNT, id: context.self.id, value: n, valueType: intType }),
        );
        context.sendEgress(
          egressMessageBuilder({ typename: EGRESS_ID, value: n, valueType: intType }),
        );
      },
    })
    .bind({
      typename: COUNT,
      state: { total: intType },
      fn(context, message) {
        context.storage.total = (context.storage.total ?? 0) + message.as(intType);
      },
    })
    .bind({
      typename: FAILING,
      fn(context) {
        throw new Error(`boom ${context.self.id}`);
      },
    });
  return createRuntime({
    functions: [functions],
    egresses: [recordingEgress()],
    ingresses: [ingress],
    clock: new ManualClock(START_MS),
    logger: captureLogger(lines),
    retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
  });
}

/** Submits `TypedValue.of(intType, 1)` to each id of `typename`, then waits for the runtime to be idle. */
export async function sendOnes(
  runtime: Runtime,
  typename: string,
  ids: readonly string[],
): Promise<void> {
  for (const id of ids) await runtime.submit(addressOf(typename, id), TypedValue.of(intType, 1));
  await runtime.whenIdle();
}

/** Prometheus text, parsed: samples by `name{labels}` and metric types by name. */
export interface ParsedMetrics {
  readonly samples: Map<string, number>;
  readonly types: Map<string, string>;
}

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/;

/** Parses the text exposition format; throws on a line that is neither a comment nor `name{labels} value`. */
export function parseMetrics(text: string): ParsedMetrics {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type !== null) types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (sample === null) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    // Like Prometheus (Go's strconv.ParseFloat), accept NaN in any case: prom-client writes `Nan`.
    const value = /^nan$/i.test(sample[3] as string) ? NaN : Number(sample[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(sample[3] as string)) {
      throw new Error(`bad sample value in ${line}`);
    }
    samples.set(`${sample[1]}${sample[2] ?? ""}`, value);
  }
  return { samples, types };
}

/** Waits until `condition()` holds, checking on every event-loop turn, for at most `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
