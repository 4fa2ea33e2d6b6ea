/**
 * What the `statefun` command touches of its process (output streams, environment, working
 * directory, signals, exit), gathered in one object so that tests can run the command in-process
 * with their own.
 */
import type { SignalSource } from "./signals.js";

/** The process facilities of the command. Every field is optional. */
export interface CliIo {
  /** Help, version and log lines. Default: `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream;
  /** Error messages. Default: `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
  /** Environment variables. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** Source of SIGINT and SIGTERM. Default: `process`. */
  readonly signals?: SignalSource;
  /** Exits at once (only on a second signal while stopping). Default: `process.exit`. */
  readonly exit?: (code: number) => void;
}

/** {@link CliIo} with every field set. */
export interface ResolvedCliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signals: SignalSource;
  readonly exit: (code: number) => void;
}

/** Fills in the process's own facilities where `io` has none. */
export function resolveCliIo(io: CliIo = {}): ResolvedCliIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    signals: io.signals ?? process,
    exit: io.exit ?? ((code: number) => process.exit(code)),
  };
}
