/**
 * Child processes under a file size limit (bash's `ulimit -f`), so that their writes past it fail
 * for real (`EFBIG`): how tests give a process a disk that refuses writes.
 */
import { spawn } from "node:child_process";

/** The command and arguments that run `node script ...args` with files limited to `limitKib` KiB. */
export function fileLimitedCommand(
  limitKib: number,
  script: string,
  args: readonly string[],
): [string, string[]] {
  return [
    "bash",
    ["-c", `ulimit -f ${limitKib} && exec "$0" "$@"`, process.execPath, script, ...args],
  ];
}

/** What a child printed, and its exit code (`null` when a signal ended it). */
export interface ChildOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node script ...args` with files limited to `limitKib` KiB, until it ends. */
export function runWithFileLimit(
  limitKib: number,
  script: string,
  args: readonly string[],
): Promise<ChildOutput> {
  const [command, commandArgs] = fileLimitedCommand(limitKib, script, args);
  const child = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
