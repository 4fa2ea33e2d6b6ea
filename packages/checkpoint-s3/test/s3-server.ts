/**
 * A real S3-compatible server for the tests: s3rver (from npm) in a child process on 127.0.0.1
 * with an ephemeral port, storing into a temporary directory, with one bucket created.
 *
 * It runs in its own process because s3rver encrypts ListObjectsV2 continuation tokens with DES,
 * which Node 20's OpenSSL 3 refuses (HTTP 500 on the second page) unless the process starts with
 * `--openssl-legacy-provider`.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The bucket every test server has. */
export const BUCKET = "checkpoints";

/** s3rver's fixed access keys. */
export const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

const MAIN = fileURLToPath(new URL("./s3rver-main.js", import.meta.url));
const START_TIMEOUT_MS = 20_000;

// The AWS SDK warns once per process that releases from 2027 on need Node 22 (documented in
// docs/dependencies.md); keep test output readable.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true";

/** A running s3rver. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

/** Starts s3rver on an ephemeral port with {@link BUCKET} created. */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), "statefun-s3rver-"));
  const child = spawn(process.execPath, ["--openssl-legacy-provider", MAIN, directory, BUCKET], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  let closing = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      if (!closing) console.error(`s3rver exited unexpectedly (${signal ?? code}):\n${stderr}`);
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const fail = (why: string) => {
      child.kill("SIGKILL");
      reject(new Error(`s3rver did not start: ${why}\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`no port after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`it exited (${signal ?? code})`);
    child.once("exit", onExit);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      closing = true;
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
