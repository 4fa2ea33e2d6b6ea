/**
 * Decoding of playground egress records (reference §3.8, checklist G3): a typed value of type
 * `io.statefun.playground/EgressRecord` holding UTF-8 JSON `{"topic": string, "payload": string}`.
 * Pure: returns the record or the reason it is not one.
 */
import type { TypedValue } from "@statefun-ts/protocol";

/** The typename of the records the playground egress accepts. */
export const PLAYGROUND_EGRESS_RECORD_TYPENAME = "io.statefun.playground/EgressRecord";

/** A decoded playground egress record. */
export interface DecodedEgressRecord {
  /** The topic the payload is appended to. */
  readonly topic: string;
  /** The payload, returned as is by `GET /<topic>`. */
  readonly payload: string;
}

const EXPECTED = 'UTF-8 JSON {"topic": string, "payload": string}';
const decoder = new TextDecoder("utf-8", { fatal: true });

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Decodes a record, or returns why `value` is not a playground egress record. */
export function decodeEgressRecord(value: TypedValue): DecodedEgressRecord | string {
  if (value.typename !== PLAYGROUND_EGRESS_RECORD_TYPENAME) {
    return `expected a record of type ${PLAYGROUND_EGRESS_RECORD_TYPENAME}, found ${value.typename}`;
  }
  if (!value.hasValue) return `expected ${EXPECTED}, found no value`;
  let text: string;
  try {
    text = decoder.decode(value.bytes);
  } catch {
    return `expected ${EXPECTED}, found bytes that are not UTF-8`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `expected ${EXPECTED}, found invalid JSON (${(error as Error).message})`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `expected ${EXPECTED}, found ${describeJson(parsed)}`;
  }
  const { topic, payload } = parsed as Record<string, unknown>;
  if (typeof topic !== "string") return `expected ${EXPECTED}, found ${field("topic", topic)}`;
  if (typeof payload !== "string")
    return `expected ${EXPECTED}, found ${field("payload", payload)}`;
  return { topic, payload };
}

function field(name: string, value: unknown): string {
  return value === undefined ? `no ${name}` : `${name} ${describeJson(value)}`;
}
