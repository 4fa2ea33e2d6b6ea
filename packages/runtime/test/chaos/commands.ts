/**
 * The chaos test's command language, shared by the generator and both interpreters (embedded and
 * remote): a function `chaos/interpreter` with one int state `count` receives a JSON list of
 * commands (typename `chaos/Commands`) and executes it in order. The model follows StateFun's
 * smoke end-to-end test (reference §6) with JSON instead of protobuf.
 */

/** The namespace of every chaos type. */
export const CHAOS_NAMESPACE = "chaos";
/** The interpreter function type. */
export const INTERPRETER_TYPENAME = "chaos/interpreter";
/** The typename of a command list (ingress `Content-Type: application/vnd.chaos/Commands`). */
export const COMMANDS_TYPENAME = "chaos/Commands";
/** The playground egress id and its record typename (reference §3.8). */
export const PLAYGROUND_EGRESS_TYPENAME = "io.statefun.playground/egress";
export const EGRESS_RECORD_TYPENAME = "io.statefun.playground/EgressRecord";
/** The egress topic of `egress` commands (payload: the tag). */
export const OUT_TOPIC = "out";
/** The egress topic of `verify` commands (payload: a {@link VerifyReport} as JSON). */
export const VERIFY_TOPIC = "verify";

/** `count += 1`. */
export interface IncCommand {
  readonly op: "inc";
}
/** Sends `cmds` to interpreter `to` now. */
export interface SendCommand {
  readonly op: "send";
  readonly to: string;
  readonly cmds: readonly Command[];
}
/** Sends `cmds` to interpreter `to` after `delayMs`, cancellable by `token` when given. */
export interface AfterCommand {
  readonly op: "after";
  readonly to: string;
  readonly delayMs: number;
  readonly cmds: readonly Command[];
  readonly token?: string;
}
/** Cancels this address's delayed message with `token`. */
export interface CancelCommand {
  readonly op: "cancel";
  readonly token: string;
}
/** Emits `tag` on topic {@link OUT_TOPIC}. Tags are globally unique. */
export interface EgressCommand {
  readonly op: "egress";
  readonly tag: string;
}
/** Emits a {@link VerifyReport} on topic {@link VERIFY_TOPIC}. */
export interface VerifyCommand {
  readonly op: "verify";
  readonly round: number;
}

/** One command of a list. */
export type Command =
  IncCommand | SendCommand | AfterCommand | CancelCommand | EgressCommand | VerifyCommand;

/** What a `verify` command reports: the interpreter's id, the round and its count. */
export interface VerifyReport {
  readonly id: string;
  readonly round: number;
  readonly count: number;
}

/** The effects an interpreter can have; each implementation adapts its SDK's context to this. */
export interface InterpreterEffects {
  send(to: string, cmds: readonly Command[]): void;
  sendAfter(to: string, delayMs: number, cmds: readonly Command[], token?: string): void;
  cancel(token: string): void;
  egress(topic: string, payload: string): void;
}

/** Throws for a command the interpreter does not know (a bug in the generator). */
export function assertNever(value: never): never {
  throw new Error(`unknown chaos command ${JSON.stringify(value)}`);
}

/**
 * Executes `cmds` in order for interpreter `id` whose count is `count`, and returns the new count.
 * The same function drives both implementations, so their semantics cannot drift apart.
 */
export function interpret(
  id: string,
  count: number,
  cmds: readonly Command[],
  effects: InterpreterEffects,
): number {
  let current = count;
  for (const command of cmds) {
    switch (command.op) {
      case "inc":
        current += 1;
        break;
      case "send":
        effects.send(command.to, command.cmds);
        break;
      case "after":
        effects.sendAfter(command.to, command.delayMs, command.cmds, command.token);
        break;
      case "cancel":
        effects.cancel(command.token);
        break;
      case "egress":
        effects.egress(OUT_TOPIC, command.tag);
        break;
      case "verify": {
        const report: VerifyReport = { id, round: command.round, count: current };
        effects.egress(VERIFY_TOPIC, JSON.stringify(report));
        break;
      }
      default:
        assertNever(command);
    }
  }
  return current;
}
