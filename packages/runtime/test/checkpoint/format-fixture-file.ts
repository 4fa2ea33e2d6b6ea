/**
 * The golden fixtures of the checkpoint format, `test/fixtures/checkpoint/<name>.{sfc,json}`: a
 * checkpoint file and a JSON description of what it decodes to. Bytes are hex strings
 * (`valueHex`, `bytesHex`); a value that never expires has `"expiresAtMs": null`; an absent caller
 * or cancellation token is `null`. Files are written once by `scripts/gen-checkpoint-fixtures.mjs`
 * and never rewritten.
 */
import type {
  CheckpointAddress,
  CheckpointManifest,
  ComponentState,
  GlobalContent,
  KeyGroupContent,
  StoredTypedValue,
} from "../../src/checkpoint/model.js";

/** The fixture directory, seen from the compiled test (`dist/test/checkpoint/`). */
export const FIXTURES_DIR = new URL("../../../test/fixtures/checkpoint/", import.meta.url);

/** A fixture's content: what its file decodes to. */
export interface FixtureContent {
  /** What the fixture shows. */
  readonly description: string;
  readonly manifest: CheckpointManifest;
  /** The key groups with any record, ascending. */
  readonly keyGroups: readonly KeyGroupContent[];
  readonly global: GlobalContent;
}

/** A case of `format-fixture-cases.ts`: a content under a file name. */
export interface FixtureCase extends FixtureContent {
  /** The base name of the fixture files. */
  readonly name: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function unhex(text: unknown): Uint8Array {
  if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) {
    throw new Error(`expected lowercase hex, found ${JSON.stringify(text)}`);
  }
  return new Uint8Array(Buffer.from(text, "hex"));
}

const address = (a: CheckpointAddress): Json => ({ functionType: a.functionType, id: a.id });
const typed = (v: StoredTypedValue): Json => ({
  typename: v.typename,
  hasValue: v.hasValue,
  valueHex: hex(v.value),
});
const component = (c: ComponentState): Json => ({ id: c.id, bytesHex: hex(c.bytes) });

/** Renders a fixture's content as its JSON description text. */
export function formatDescription(content: FixtureContent): string {
  const json: Json = {
    description: content.description,
    manifest: JSON.parse(JSON.stringify(content.manifest)) as Json,
    keyGroups: content.keyGroups.map((group) => ({
      keyGroup: group.keyGroup,
      state: group.state.map((record) => ({
        functionType: record.functionType,
        id: record.id,
        values: record.values.map((value) => ({
          name: value.name,
          typename: value.typename,
          valueHex: hex(value.value),
          expiresAtMs: value.expiresAtMs === Infinity ? null : value.expiresAtMs,
        })),
      })),
      messages: group.messages.map((message) => ({
        target: address(message.target),
        caller: message.caller === undefined ? null : address(message.caller),
        argument: typed(message.argument),
      })),
      delayed: group.delayed.map((message) => ({
        sender: address(message.sender),
        dueMs: message.dueMs,
        cancellationToken: message.cancellationToken ?? null,
        target: address(message.target),
        argument: typed(message.argument),
      })),
    })),
    global: {
      egress: content.global.egress.map((entry) => ({
        egress: entry.egress,
        value: typed(entry.value),
      })),
      sinks: content.global.sinks.map(component),
      ingresses: content.global.ingresses.map(component),
    },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment --
   the description is trusted test data; a wrong shape fails the comparison with the decoded file */
const toAddress = (a: any): CheckpointAddress => ({ functionType: a.functionType, id: a.id });
const toTyped = (v: any): StoredTypedValue => ({
  typename: v.typename,
  hasValue: v.hasValue,
  value: unhex(v.valueHex),
});
const toComponent = (c: any): ComponentState => ({ id: c.id, bytes: unhex(c.bytesHex) });

/** Parses a JSON description back into the content it describes. */
export function parseDescription(text: string): FixtureContent {
  const json = JSON.parse(text);
  return {
    description: json.description,
    manifest: json.manifest,
    keyGroups: json.keyGroups.map((group: any) => ({
      keyGroup: group.keyGroup,
      state: group.state.map((record: any) => ({
        functionType: record.functionType,
        id: record.id,
        values: record.values.map((value: any) => ({
          name: value.name,
          typename: value.typename,
          value: unhex(value.valueHex),
          expiresAtMs: value.expiresAtMs ?? Infinity,
        })),
      })),
      messages: group.messages.map((message: any) => ({
        target: toAddress(message.target),
        caller: message.caller === null ? undefined : toAddress(message.caller),
        argument: toTyped(message.argument),
      })),
      delayed: group.delayed.map((message: any) => ({
        sender: toAddress(message.sender),
        dueMs: message.dueMs,
        cancellationToken: message.cancellationToken ?? undefined,
        target: toAddress(message.target),
        argument: toTyped(message.argument),
      })),
    })),
    global: {
      egress: json.global.egress.map((entry: any) => ({
        egress: entry.egress,
        value: toTyped(entry.value),
      })),
      sinks: json.global.sinks.map(toComponent),
      ingresses: json.global.ingresses.map(toComponent),
    },
  };
}
/* eslint-enable */
