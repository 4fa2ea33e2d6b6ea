/**
 * The content of a checkpoint, independent of how it is encoded: state records, pending messages
 * and delayed messages per key group, and the global parts (unreleased egress records, sink and
 * ingress state). A checkpoint file holds one {@link CheckpointManifest} describing it.
 */

/** A typed value as stored in a checkpoint. */
export interface StoredTypedValue {
  readonly typename: string;
  /** False for "no value" (`has_value = false`). */
  readonly hasValue: boolean;
  readonly value: Uint8Array;
}

/** A function instance in a checkpoint. */
export interface CheckpointAddress {
  /** `<namespace>/<name>` of the function type. */
  readonly functionType: string;
  readonly id: string;
}

/** One persisted value of an address. */
export interface StateValueRecord {
  readonly name: string;
  readonly typename: string;
  /**
   * The serialized value. Read from a file, it is a view into a larger buffer: copy it before
   * keeping it (or decode it), so the buffer is not kept alive.
   */
  readonly value: Uint8Array;
  /** Expiration time in ms since the epoch; `Infinity` for never. */
  readonly expiresAtMs: number;
}

/**
 * The persisted values of one address. In a full checkpoint, every address with values appears
 * once. In an incremental one, an address appears when it changed; `values` then replaces all of
 * the address's earlier values, and an empty `values` deletes the address's state.
 */
export interface StateRecord {
  readonly functionType: string;
  readonly id: string;
  readonly values: readonly StateValueRecord[];
  /**
   * `values` as a `StateValuesEncoder` encodes them, when the record was decoded for a restore
   * (`keyGroupsInOrder` with `encodedValues`): a view into the bytes read, which a backend that
   * stores values encoded keeps as they are instead of encoding them again.
   */
  readonly encodedValues?: Uint8Array;
}

/**
 * A persisted value as a state backend keeps it (the in-memory backend's cells are such values),
 * written into a checkpoint without a {@link StateValueRecord} built for it.
 */
export interface StateValueSource {
  readonly name: string;
  readonly typename: string;
  /** Expiration time in ms since the epoch; `Infinity` for never. */
  readonly expiresAtMs: number;
  /** The serialized value. */
  encoded(): Uint8Array;
}

/** Takes the state records of a key group from a backend, one address at a time. */
export interface StateRecordSink {
  /**
   * Adds the record of one address with its values that are live at `nowMs` (a value expiring at
   * `nowMs` or earlier is left out). No value at all (or none live) records that the address's
   * state was removed.
   */
  addAddress(
    functionType: string,
    id: string,
    values: StateValueSource | readonly StateValueSource[] | undefined,
    nowMs: number,
  ): void;
  /**
   * Adds the record of one address from its values as a `StateValuesEncoder` stored them (for
   * backends that keep state as bytes), with the values live at `nowMs`, as {@link addAddress}.
   * The bytes are copied: the caller may reuse them once this returns.
   */
  addStoredAddress(functionType: string, id: string, stored: Uint8Array, nowMs: number): void;
  /**
   * Adds `count` records as a state section holds them, each with its length prefix, as
   * `StateValuesEncoder.record` encodes them, of values that do not expire (for backends that
   * encode an address's record when they store its values). The bytes are copied.
   */
  addEncodedRecords(records: Uint8Array, count: number): void;
}

/** A message not yet applied: queued in a mailbox or the input of an invocation in flight. */
export interface PendingMessageRecord {
  readonly target: CheckpointAddress;
  /** The sending function; absent for messages from an ingress. */
  readonly caller: CheckpointAddress | undefined;
  readonly argument: StoredTypedValue;
}

/** The sender of a {@link PendingInput}: a runtime address (the protocol's `Address` has this shape). */
export interface PendingInputCaller {
  /** `<namespace>/<name>` of the function type. */
  readonly typename: string;
  readonly id: string;
}

/**
 * A pending message as a runtime mailbox holds it (the protocol's `InvocationInput` has this
 * shape): written as a {@link PendingMessageRecord} without being converted to one.
 */
export interface PendingInput {
  readonly caller: PendingInputCaller | undefined;
  readonly argument: {
    readonly typename: string;
    readonly hasValue: boolean;
    readonly bytes: Uint8Array;
  };
}

/** The pending messages of one target address, in delivery order. */
export interface PendingMessageRun {
  readonly target: CheckpointAddress;
  readonly messages: readonly PendingInput[];
}

/** A delayed message not yet delivered. */
export interface DelayedMessageRecord {
  /** The scheduling address (the delivered message's caller), which owns the message. */
  readonly sender: CheckpointAddress;
  /** Due time in ms since the epoch. */
  readonly dueMs: number;
  /** Token in the sender's scope, if any. */
  readonly cancellationToken: string | undefined;
  readonly target: CheckpointAddress;
  readonly argument: StoredTypedValue;
}

/** An egress record produced but not yet released to its sink. */
export interface EgressRecordEntry {
  /** The egress id. */
  readonly egress: string;
  readonly value: StoredTypedValue;
}

/** What a checkpoint holds for one key group. */
export interface KeyGroupContent {
  readonly keyGroup: number;
  /** Changed (incremental) or all (full) addresses with state, in any order. */
  readonly state: readonly StateRecord[];
  /**
   * More state records of this key group, handed over by the state backend as it keeps them:
   * written after {@link state}, in the same section (no record object per address). Files decode
   * them as {@link state}.
   */
  readonly writeState?: (sink: StateRecordSink) => void;
  /**
   * More state records of this key group, as a file holds them (each one's bytes without their
   * length prefix, as `CheckpointFile.readKeyGroupEncodedState` reads them): copied as they are,
   * after the others, in the same section. Files decode them as {@link state}.
   */
  readonly encodedState?: readonly Uint8Array[];
  /** Pending messages of addresses in this key group; per target address, in delivery order. */
  readonly messages: readonly PendingMessageRecord[];
  /**
   * More pending messages of this key group, grouped per target address as the runtime holds
   * them: written after {@link messages}, in the same section, with the same bytes as the
   * equivalent records (a checkpoint of a large backlog builds no object per message). Files
   * decode them as {@link messages}.
   */
  readonly messageRuns?: readonly PendingMessageRun[];
  /** Delayed messages whose sender is in this key group, in delivery order. */
  readonly delayed: readonly DelayedMessageRecord[];
}

/** Opaque state of a named component (an egress sink's queue, an ingress's position). */
export interface ComponentState {
  /** The component id, e.g. `io.statefun.playground/egress`. */
  readonly id: string;
  readonly bytes: Uint8Array;
}

/** Process-wide parts of a checkpoint. */
export interface GlobalContent {
  /** Egress records not yet released, in emission order. */
  readonly egress: readonly EgressRecordEntry[];
  /** State of egress sinks (e.g. records released but not yet consumed). */
  readonly sinks: readonly ComponentState[];
  /** Positions of replayable ingresses. */
  readonly ingresses: readonly ComponentState[];
}

/** Whether a file is a checkpoint (part of a chain in a state directory) or a savepoint (self-contained). */
export type CheckpointKind = "checkpoint" | "savepoint";

/** Describes one checkpoint file. */
export interface CheckpointManifest {
  /** Version of the file format. */
  readonly formatVersion: 1;
  /** Checkpoint id: increases by one per checkpoint of an application. */
  readonly id: number;
  readonly kind: CheckpointKind;
  /** When the checkpoint's cut was taken, ms since the epoch. */
  readonly createdAtMs: number;
  /** Number of key groups of the application's state. */
  readonly maxKeyGroups: number;
  /** `exactly-once` or `at-least-once`: the mode the checkpoint was taken in. */
  readonly mode: "exactly-once" | "at-least-once";
  /**
   * True when the file's state sections hold every address's state (a base); false when they hold
   * only the changes since the previous file of {@link chain}.
   */
  readonly full: boolean;
  /**
   * Names of earlier files whose state this one builds on, oldest first: a full base, then the
   * incremental files after it. Empty for a full file. Pending messages, delayed messages and the
   * global content are always complete in every file.
   */
  readonly chain: readonly string[];
  /** Free-form facts for operators (counts, runtime version). */
  readonly info: Readonly<Record<string, string | number>>;
}
