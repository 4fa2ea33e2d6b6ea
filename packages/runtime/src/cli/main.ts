/**
 * The `statefun` command line: `--help`, `--version`, `run <module.yaml...>` with its options,
 * and `savepoint`, `checkpoints` (admin-commands.ts) and `state functions|list|get`
 * (state-commands.ts), which talk to a running `statefun run`.
 * Commander only parses; the flags go through `resolveCliOptions` (flags, then env, then
 * defaults). `main` resolves with the exit code and never calls `process.exit` itself, so tests
 * can run it in-process: 0 success, 1 invalid configuration or failure, 2 usage error.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { isStatefunError } from "@statefun-ts/protocol";
import { LOG_LEVELS } from "../observability/pino-logger.js";
import { addAdminCommands } from "./admin-commands.js";
import { CHECKPOINT_DEFAULTS, CHECKPOINT_MODES } from "./checkpoint-options.js";
import { resolveCliIo } from "./io.js";
import type { CliIo, ResolvedCliIo } from "./io.js";
import {
  CLI_ENV,
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  DEFAULT_STATE_DIR,
  LOG_FORMATS,
  resolveCliOptions,
} from "./options.js";
import type { CliFlags } from "./options.js";
import { runApplication } from "./run.js";
import { addStateCommands } from "./state-commands.js";

/** Exit code of a usage error (unknown flag, missing argument), as in most Unix tools. */
export const USAGE_EXIT_CODE = 2;

/** The version of `@statefun-ts/runtime`, read from its package.json. */
export function runtimeVersion(): string {
  const manifest = new URL("../../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

function describeError(error: unknown): string {
  if (isStatefunError(error)) return error.message;
  // A system call that failed (a full disk, a missing permission): its message says it all.
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === "string") {
    return error.message;
  }
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

// One line per paragraph: commander wraps them to the terminal's width.
const RUN_DESCRIPTION = [
  "Run the application declared by one or more module.yaml files.",
  "Each option can also be set by the environment variable shown; a flag wins over its " +
    "variable. Durations use Flink's syntax (500ms, 1s, 2 min, 1h); a bare number is milliseconds.",
  "Checkpointing is on by default, into the state directory: state, pending messages and " +
    "egress queues survive a crash, and a 2xx answer of an HTTP ingress means the message is " +
    "durable. A start on a state directory that holds checkpoints resumes from the latest one.",
].join("\n\n");

const RUN_EXAMPLES = `
Examples:
  statefun run examples/greeter/module.yaml
  statefun run module.yaml --admin-port 0 --log-format pretty
  STATEFUN_LOG_LEVEL=debug statefun run a.yaml b.yaml --no-admin
  statefun run module.yaml --state-dir /var/lib/app --checkpoint-interval 200ms
  statefun run module.yaml --state-dir fresh --from-savepoint savepoint.sfc`;

function buildProgram(io: ResolvedCliIo, onRun: (code: number) => void): Command {
  const program = new Command("statefun");
  program
    .description(
      "statefun-ts: TypeScript-native Stateful Functions, wire-compatible with Apache Flink StateFun 3.x",
    )
    .version(runtimeVersion(), "-V, --version", "print the version of @statefun-ts/runtime")
    .helpOption("-h, --help", "print this help")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`statefun: ${text.replace(/^error: /u, "")}`),
    })
    .showHelpAfterError("(add --help for usage)");

  program
    .command("run")
    .summary("run the application declared by module.yaml files")
    .description(RUN_DESCRIPTION)
    .argument("<module.yaml...>", "module files (paths or file:// URLs), in order")
    .addOption(
      new Option(
        "--admin-port <port>",
        `admin API port; 0 picks a free port (default ${DEFAULT_ADMIN_PORT}; env ${CLI_ENV.adminPort})`,
      ),
    )
    .addOption(
      new Option(
        "--admin-host <host>",
        `admin API interface (default ${DEFAULT_ADMIN_HOST}; env ${CLI_ENV.adminHost})`,
      ),
    )
    .addOption(new Option("--no-admin", `run without the admin API (env ${CLI_ENV.admin}=false)`))
    .addOption(
      new Option(
        "--log-level <level>",
        `least severe level logged: ${LOG_LEVELS.join(", ")} (default info; env ${CLI_ENV.logLevel})`,
      ),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        `${LOG_FORMATS.join(" or ")} log lines (default json; env ${CLI_ENV.logFormat})`,
      ),
    )
    .addOption(
      new Option(
        "--state-dir <dir>",
        `state directory, for checkpoints (default ${DEFAULT_STATE_DIR} in the working directory; env ${CLI_ENV.stateDir})`,
      ),
    )
    .addOption(
      new Option(
        "--state-backend <kind>",
        `where live state is kept: memory, or disk (LMDB in <state-dir>/db, with @statefun-ts/state-disk installed; default memory; env ${CLI_ENV.stateBackend})`,
      ),
    )
    .addOption(
      new Option(
        "--state-cache-addresses <n>",
        `addresses whose state the disk backend caches in memory (default 100000; env ${CLI_ENV.stateCacheAddresses})`,
      ),
    )
    .addOption(
      new Option(
        "--state-max-tracked-changes <n>",
        `changed addresses out of the disk backend's cache tracked by id between checkpoints; past it and a quarter of all addresses, the next checkpoint writes the whole state (default 1000000; env ${CLI_ENV.stateMaxTrackedChanges})`,
      ),
    )
    .addOption(
      new Option(
        "--max-backlog <n>",
        `queued messages at which ingress waits (default 100000; env ${CLI_ENV.maxBacklog})`,
      ),
    )
    .addOption(
      new Option(
        "--max-queued-addresses <n>",
        `addresses waiting to run at which ingress to yet another address waits, while ingress seldom repeats an address (default 4096; env ${CLI_ENV.maxQueuedAddresses})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoint-interval <duration>",
        `time between checkpoints (default 1s; env ${CLI_ENV.checkpointInterval})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoint-min-pause <duration>",
        `least time between two checkpoints (default 0; env ${CLI_ENV.checkpointMinPause})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoint-timeout <duration>",
        `a checkpoint not written within this time is abandoned (default 10 min; env ${CLI_ENV.checkpointTimeout})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoints-retained <n>",
        `complete checkpoints kept (default ${CHECKPOINT_DEFAULTS.retained}; env ${CLI_ENV.checkpointsRetained})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoint-mode <mode>",
        `${CHECKPOINT_MODES.join(" or ")}: when egress records are released (default ${CHECKPOINT_DEFAULTS.mode}; env ${CLI_ENV.checkpointMode})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoint-lease-ttl <duration>",
        `a second process on the same checkpoint storage is refused while this one's lease lives; it is taken over once not renewed for this long (default 30s, 0: no lease; env ${CLI_ENV.checkpointLeaseTtl})`,
      ),
    )
    .addOption(
      new Option(
        "--checkpoint-storage <dir|s3-url>",
        `checkpoint storage: a directory, or s3://bucket/prefix?endpoint=...&region=... with @statefun-ts/checkpoint-s3 installed (default: the state directory; env ${CLI_ENV.checkpointStorage})`,
      ),
    )
    .addOption(
      new Option(
        "--no-checkpointing",
        `keep state in memory only: nothing survives a stop or crash (env ${CLI_ENV.checkpointing}=false)`,
      ),
    )
    .addOption(
      new Option(
        "--from-savepoint <path>",
        `start from a savepoint file or s3:// URL; the checkpoint storage must hold no checkpoints (env ${CLI_ENV.fromSavepoint})`,
      ),
    )
    .addOption(
      new Option(
        "--idempotency-window <duration>",
        `how long an Idempotency-Key is remembered (default 15 min; env ${CLI_ENV.idempotencyWindow})`,
      ),
    )
    .addHelpText("after", RUN_EXAMPLES)
    .action(async (moduleFiles: string[], flags: CliFlags) => {
      const options = resolveCliOptions(moduleFiles, flags, io.env, io.cwd);
      onRun(await runApplication(options, io));
    });
  addAdminCommands(program, io);
  addStateCommands(program, io);
  return program;
}

/**
 * Runs the `statefun` command with `argv` (the arguments after the executable and script, as
 * `process.argv.slice(2)`).
 *
 * @param io the process facilities to use; defaults to this process's.
 * @returns the exit code: 0 after help, version or a clean stop; 1 for invalid configuration or
 *   options (the message, without stack trace, is written to stderr prefixed `statefun: `) or a
 *   failure; 2 for a usage error reported by the parser.
 */
export async function main(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const resolved = resolveCliIo(io);
  let code = 0;
  const program = buildProgram(resolved, (exitCode) => {
    code = exitCode;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit with 0; everything else the parser refuses is a usage error.
      return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    resolved.stderr.write(`statefun: ${describeError(error)}\n`);
    return 1;
  }
}
