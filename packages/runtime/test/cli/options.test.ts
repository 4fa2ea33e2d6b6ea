// The options pipeline of `statefun run`: flags and environment (flags win), defaults, and one
// test per invalid value, each naming the flag or variable, what was expected and what was found.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import type { CliFlags } from "../../src/cli/options.js";
import { resolveCliOptions } from "../../src/cli/options.js";

const CWD = "/srv/app";
const FILES = ["module.yaml"];

/** The checkpointing part of the defaults, with the state directory `stateDir`. */
function defaultCheckpoints(stateDir: string) {
  return {
    checkpointing: {
      storage: { kind: "local", directory: stateDir },
      intervalMs: 1000,
      minPauseMs: 0,
      timeoutMs: 600_000,
      retained: 3,
      mode: "exactly-once",
      leaseTtlMs: 30_000,
    },
    fromSavepoint: undefined,
    idempotencyWindowMs: 900_000,
  };
}

function resolve(flags: CliFlags = {}, env: Record<string, string> = {}) {
  return resolveCliOptions(FILES, flags, env, CWD);
}

function invalid(flags: CliFlags, env: Record<string, string>, message: string): void {
  assert.throws(
    () => resolve(flags, env),
    (error: unknown) => {
      assert.ok(error instanceof StatefunError);
      assert.equal(error.code, "invalid-config");
      assert.equal(error.message, message);
      return true;
    },
  );
}

describe("resolveCliOptions", () => {
  it("fills in the defaults", () => {
    assert.deepEqual(resolve(), {
      moduleFiles: FILES,
      admin: { port: 8081, host: "0.0.0.0" },
      logLevel: "info",
      logFormat: "json",
      stateDir: "/srv/app/.statefun",
      maxBacklog: 100_000,
      maxQueuedAddresses: 4096,
      stateBackend: "memory",
      stateCacheAddresses: 100_000,
      stateMaxTrackedChanges: 1_000_000,
      ...defaultCheckpoints("/srv/app/.statefun"),
    });
  });

  it("reads every option from the environment", () => {
    const resolved = resolve(
      {},
      {
        STATEFUN_ADMIN_PORT: "9000",
        STATEFUN_ADMIN_HOST: "127.0.0.1",
        STATEFUN_LOG_LEVEL: "debug",
        STATEFUN_LOG_FORMAT: "pretty",
        STATEFUN_STATE_DIR: "data/state",
        STATEFUN_MAX_BACKLOG: "50",
        STATEFUN_MAX_QUEUED_ADDRESSES: "64",
        STATEFUN_STATE_BACKEND: "disk",
        STATEFUN_STATE_CACHE_ADDRESSES: "5000",
        STATEFUN_STATE_MAX_TRACKED_CHANGES: "2000",
      },
    );
    assert.deepEqual(resolved, {
      moduleFiles: FILES,
      admin: { port: 9000, host: "127.0.0.1" },
      logLevel: "debug",
      logFormat: "pretty",
      stateDir: "/srv/app/data/state",
      maxBacklog: 50,
      maxQueuedAddresses: 64,
      stateBackend: "disk",
      stateCacheAddresses: 5000,
      stateMaxTrackedChanges: 2000,
      ...defaultCheckpoints("/srv/app/data/state"),
    });
  });

  it("lets flags win over the environment", () => {
    const resolved = resolve(
      {
        adminPort: "0",
        adminHost: "::1",
        logLevel: "warn",
        logFormat: "json",
        stateDir: "/var/lib/statefun",
        maxBacklog: "7",
        maxQueuedAddresses: "3",
      },
      {
        STATEFUN_ADMIN_PORT: "9000",
        STATEFUN_ADMIN_HOST: "127.0.0.1",
        STATEFUN_LOG_LEVEL: "debug",
        STATEFUN_LOG_FORMAT: "pretty",
        STATEFUN_STATE_DIR: "data/state",
        STATEFUN_MAX_BACKLOG: "50",
      },
    );
    assert.deepEqual(resolved.admin, { port: 0, host: "::1" });
    assert.equal(resolved.logLevel, "warn");
    assert.equal(resolved.logFormat, "json");
    assert.equal(resolved.stateDir, "/var/lib/statefun");
    assert.equal(resolved.maxBacklog, 7);
    assert.equal(resolved.maxQueuedAddresses, 3);
  });

  it("ignores empty environment variables", () => {
    assert.deepEqual(resolve({}, { STATEFUN_ADMIN_PORT: "", STATEFUN_LOG_LEVEL: "" }), resolve());
  });

  it("disables the admin API with --no-admin or STATEFUN_ADMIN=false", () => {
    assert.equal(resolve({ admin: false }).admin, undefined);
    assert.equal(resolve({ admin: false }, { STATEFUN_ADMIN: "true" }).admin, undefined);
    assert.equal(resolve({}, { STATEFUN_ADMIN: "false" }).admin, undefined);
    assert.deepEqual(resolve({}, { STATEFUN_ADMIN: "true" }).admin, {
      port: 8081,
      host: "0.0.0.0",
    });
  });

  it("never mutates its input", () => {
    const files = ["a.yaml", "b.yaml"];
    const flags = Object.freeze({ adminPort: "1" });
    const env = Object.freeze({ STATEFUN_LOG_LEVEL: "debug" });
    const resolved = resolveCliOptions(files, flags, env, CWD);
    assert.notEqual(resolved.moduleFiles, files);
    assert.deepEqual(files, ["a.yaml", "b.yaml"]);
  });

  describe("rejects", () => {
    it("an admin port that is not a number, from the flag", () => {
      invalid(
        { adminPort: "http" },
        {},
        '--admin-port: expected a port from 0 to 65535 (0 picks a free port), found "http"',
      );
    });

    it("an admin port out of range, from the environment", () => {
      invalid(
        {},
        { STATEFUN_ADMIN_PORT: "70000" },
        "environment variable STATEFUN_ADMIN_PORT: expected a port from 0 to 65535 " +
          '(0 picks a free port), found "70000"',
      );
    });

    it("a negative or fractional admin port", () => {
      invalid(
        { adminPort: "-1" },
        {},
        '--admin-port: expected a port from 0 to 65535 (0 picks a free port), found "-1"',
      );
      invalid(
        { adminPort: "80.5" },
        {},
        '--admin-port: expected a port from 0 to 65535 (0 picks a free port), found "80.5"',
      );
    });

    it("an empty admin host", () => {
      invalid(
        { adminHost: " " },
        {},
        '--admin-host: expected a host name or IP address, found " "',
      );
    });

    it("an unknown STATEFUN_ADMIN value", () => {
      invalid(
        {},
        { STATEFUN_ADMIN: "no" },
        'environment variable STATEFUN_ADMIN: expected one of true, false, found "no"',
      );
    });

    it("an unknown log level", () => {
      invalid(
        { logLevel: "verbose" },
        {},
        "--log-level: expected one of fatal, error, warn, info, debug, trace, silent, " +
          'found "verbose"',
      );
      invalid(
        {},
        { STATEFUN_LOG_LEVEL: "INFO" },
        "environment variable STATEFUN_LOG_LEVEL: expected one of fatal, error, warn, info, " +
          'debug, trace, silent, found "INFO"',
      );
    });

    it("an unknown log format", () => {
      invalid(
        {},
        { STATEFUN_LOG_FORMAT: "text" },
        'environment variable STATEFUN_LOG_FORMAT: expected one of json, pretty, found "text"',
      );
    });

    it("an unknown state backend, a bad cache size or a bad bound on tracked changes", () => {
      invalid(
        { stateBackend: "rocksdb" },
        {},
        '--state-backend: expected one of memory, disk, found "rocksdb"',
      );
      invalid(
        {},
        { STATEFUN_STATE_CACHE_ADDRESSES: "0" },
        'environment variable STATEFUN_STATE_CACHE_ADDRESSES: expected an integer ≥ 1 (addresses), found "0"',
      );
      invalid(
        { stateMaxTrackedChanges: "1.5" },
        {},
        '--state-max-tracked-changes: expected an integer ≥ 1 (addresses), found "1.5"',
      );
      assert.equal(
        resolve({ stateBackend: "memory" }, { STATEFUN_STATE_BACKEND: "disk" }).stateBackend,
        "memory",
      );
    });

    it("an empty state directory", () => {
      invalid({ stateDir: "" }, {}, '--state-dir: expected a directory path, found ""');
    });

    it("a backlog bound below 1 or not an integer", () => {
      invalid(
        { maxBacklog: "0" },
        {},
        '--max-backlog: expected an integer ≥ 1 (messages), found "0"',
      );
      invalid(
        {},
        { STATEFUN_MAX_BACKLOG: "1e6" },
        'environment variable STATEFUN_MAX_BACKLOG: expected an integer ≥ 1 (messages), found "1e6"',
      );
    });

    it("a bound of queued addresses below 1 or not an integer", () => {
      invalid(
        { maxQueuedAddresses: "-4" },
        {},
        '--max-queued-addresses: expected an integer ≥ 1 (addresses), found "-4"',
      );
      invalid(
        {},
        { STATEFUN_MAX_QUEUED_ADDRESSES: "many" },
        'environment variable STATEFUN_MAX_QUEUED_ADDRESSES: expected an integer ≥ 1 (addresses), found "many"',
      );
    });

    it("no module file", () => {
      assert.throws(() => resolveCliOptions([], {}, {}, CWD), {
        code: "invalid-config",
        message: "expected at least one module file, found none",
      });
    });

    it("every bad value at once, one per line", () => {
      invalid(
        { adminPort: "x", logFormat: "xml" },
        { STATEFUN_MAX_BACKLOG: "many" },
        "invalid options (3 problems):\n" +
          '  --admin-port: expected a port from 0 to 65535 (0 picks a free port), found "x"\n' +
          '  --log-format: expected one of json, pretty, found "xml"\n' +
          '  environment variable STATEFUN_MAX_BACKLOG: expected an integer ≥ 1 (messages), found "many"',
      );
    });
  });
});
