/**
 * The greeter's function server: serves the very registry that examples/greeter embeds
 * (`example/person` and `example/greeter`, imported from `@statefun-ts/example-greeter`) over the
 * StateFun HTTP request-reply protocol, so that any StateFun runtime can invoke them through an
 * `io.statefun.endpoints.v2/http` endpoint. A node:http server on every interface, on the port
 * given by `--port <n>` or the environment variable `PORT` (default 8000; 0 picks a free port).
 * It prints one line once listening (`listening on port <n> ...`, the bound port), stops on SIGINT
 * or SIGTERM after finishing the requests in flight (exit code 0), and exits at once with 130 on
 * a second signal. Usage errors exit with 2.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import functions from "@statefun-ts/example-greeter";
import { createNodeHandler, createRequestReplyHandler } from "@statefun-ts/sdk";

/** The port served when neither `--port` nor `PORT` says otherwise. */
const DEFAULT_PORT = 8000;

/** How long a stop waits for requests in flight before closing their connections, in ms. */
const STOP_GRACE_MS = 5000;

/**
 * The port to listen on: `--port <n>` (or `--port=<n>`) in `args`, else `env.PORT`, else
 * {@link DEFAULT_PORT}.
 *
 * @throws Error for an unknown option or a port that is not an integer in 0–65535.
 */
function resolvePort(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const { values } = parseArgs({
    args: [...args],
    options: { port: { type: "string" } },
    strict: true,
  });
  const [source, text] =
    values.port !== undefined
      ? ["--port", values.port]
      : env["PORT"] !== undefined && env["PORT"] !== ""
        ? ["PORT", env["PORT"]]
        : ["default", String(DEFAULT_PORT)];
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new Error(`${source}: expected a port number in 0-65535, found ${JSON.stringify(text)}`);
  }
  return port;
}

function main(): void {
  let port: number;
  try {
    port = resolvePort(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`greeter functions: ${(error as Error).message}`);
    console.error("usage: node server.js [--port <n>]  (or PORT=<n>; default 8000)");
    process.exitCode = 2;
    return;
  }
  const handler = createRequestReplyHandler(functions, {
    onError(error, info) {
      console.error(`greeter functions: request for ${info.target ?? "(unknown)"} failed:`, error);
    },
  });
  const server = createServer(createNodeHandler(handler));
  const typenames = functions.list().map((bound) => bound.typename);

  server.once("error", (error) => {
    console.error(`greeter functions: cannot listen on port ${port}: ${error.message}`);
    process.exitCode = 1;
  });
  server.listen(port, () => {
    const bound = (server.address() as AddressInfo).port;
    console.log(`greeter functions listening on port ${bound} (${typenames.join(", ")})`);
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    console.log(`greeter functions stopping (${signal})`);
    // close() stops accepting and closes idle keep-alive connections; requests in flight finish
    // first, within a grace period.
    server.close(() => {
      console.log("greeter functions stopped");
    });
    setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
