// The checkpointing options of `statefun run` in the options pipeline: each flag and its
// variable (flags win), Flink durations, storage and savepoint locations, and one test per
// invalid value, reported in the same style as every other option.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import type { CliFlags } from "../../src/cli/options.js";
import { resolveCliOptions } from "../../src/cli/options.js";

const CWD = "/srv/app";

function resolve(flags: CliFlags = {}, env: Record<string, string> = {}) {
  return resolveCliOptions(["module.yaml"], flags, env, CWD);
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

const FLAGS: CliFlags = {
  checkpointInterval: "200ms",
  checkpointMinPause: "50 ms",
  checkpointTimeout: "1 min",
  checkpointsRetained: "5",
  checkpointMode: "at-least-once",
  checkpointLeaseTtl: "10 s",
  checkpointStorage: "data/checkpoints",
  fromSavepoint: "savepoints/one.sfc",
  idempotencyWindow: "1h",
};

const ENV = {
  STATEFUN_CHECKPOINT_INTERVAL: "2s",
  STATEFUN_CHECKPOINT_MIN_PAUSE: "100",
  STATEFUN_CHECKPOINT_TIMEOUT: "30s",
  STATEFUN_CHECKPOINTS_RETAINED: "7",
  STATEFUN_CHECKPOINT_MODE: "exactly-once",
  STATEFUN_CHECKPOINT_LEASE_TTL: "0",
  STATEFUN_CHECKPOINT_STORAGE: "/var/lib/checkpoints",
  STATEFUN_FROM_SAVEPOINT: "/backups/sp.sfc",
  STATEFUN_IDEMPOTENCY_WINDOW: "2 min",
};

describe("resolveCliOptions, checkpointing", () => {
  it("checkpoints into the state directory by default", () => {
    const resolved = resolve({ stateDir: "state" });
    assert.deepEqual(resolved.checkpointing, {
      storage: { kind: "local", directory: "/srv/app/state" },
      intervalMs: 1000,
      minPauseMs: 0,
      timeoutMs: 600_000,
      retained: 3,
      mode: "exactly-once",
      leaseTtlMs: 30_000,
    });
    assert.equal(resolved.fromSavepoint, undefined);
    assert.equal(resolved.idempotencyWindowMs, 900_000);
  });

  it("reads every flag, resolving relative paths against the working directory", () => {
    const resolved = resolve(FLAGS);
    assert.deepEqual(resolved.checkpointing, {
      storage: { kind: "local", directory: "/srv/app/data/checkpoints" },
      intervalMs: 200,
      minPauseMs: 50,
      timeoutMs: 60_000,
      retained: 5,
      mode: "at-least-once",
      leaseTtlMs: 10_000,
    });
    assert.deepEqual(resolved.fromSavepoint, {
      storage: { kind: "local", directory: "/srv/app/savepoints" },
      name: "one.sfc",
      path: "/srv/app/savepoints/one.sfc",
    });
    assert.equal(resolved.idempotencyWindowMs, 3_600_000);
  });

  it("reads every variable, and lets flags win", () => {
    const fromEnv = resolve({}, ENV);
    assert.deepEqual(fromEnv.checkpointing, {
      storage: { kind: "local", directory: "/var/lib/checkpoints" },
      intervalMs: 2000,
      minPauseMs: 100,
      timeoutMs: 30_000,
      retained: 7,
      mode: "exactly-once",
      leaseTtlMs: 0,
    });
    assert.equal(fromEnv.fromSavepoint?.path, "/backups/sp.sfc");
    assert.equal(fromEnv.idempotencyWindowMs, 120_000);
    const both = resolve(FLAGS, ENV);
    assert.deepEqual(both.checkpointing, resolve(FLAGS).checkpointing);
    assert.deepEqual(both.fromSavepoint, resolve(FLAGS).fromSavepoint);
    assert.equal(both.idempotencyWindowMs, 3_600_000);
  });

  it("takes the runtime's STATEFUN_IDEMPOTENCY_WINDOW_MS when the CLI's variable is unset", () => {
    const env = { STATEFUN_IDEMPOTENCY_WINDOW_MS: "5000" };
    assert.equal(resolve({}, env).idempotencyWindowMs, 5000);
    assert.equal(
      resolve({}, { ...env, STATEFUN_IDEMPOTENCY_WINDOW: "1s" }).idempotencyWindowMs,
      1000,
    );
  });

  it("keeps an s3:// storage and savepoint URL with their query", () => {
    const resolved = resolve({
      checkpointStorage: "s3://bucket/app?endpoint=http://127.0.0.1:9000",
      fromSavepoint: "s3://bucket/saved/sp-1.sfc?region=eu-west-1",
    });
    assert.deepEqual(resolved.checkpointing?.storage, {
      kind: "s3",
      url: "s3://bucket/app?endpoint=http://127.0.0.1:9000",
    });
    assert.deepEqual(resolved.fromSavepoint, {
      storage: { kind: "s3", url: "s3://bucket/saved?region=eu-west-1" },
      name: "sp-1.sfc",
      path: "s3://bucket/saved/sp-1.sfc?region=eu-west-1",
    });
  });

  it("turns checkpointing off with --no-checkpointing or STATEFUN_CHECKPOINTING=false", () => {
    assert.equal(resolve({ checkpointing: false }).checkpointing, undefined);
    assert.equal(resolve({}, { STATEFUN_CHECKPOINTING: "false" }).checkpointing, undefined);
    assert.equal(
      resolve({ checkpointing: false }, { STATEFUN_CHECKPOINTING: "true" }).checkpointing,
      undefined,
    );
    assert.notEqual(resolve({}, { STATEFUN_CHECKPOINTING: "true" }).checkpointing, undefined);
  });

  describe("rejects", () => {
    it("an interval that is not a duration, zero, or longer than 24 days", () => {
      const expected = 'a duration from 1 ms to 24 d, such as "1s" or "200ms"';
      invalid(
        { checkpointInterval: "fast" },
        {},
        `--checkpoint-interval: expected ${expected}, found "fast"`,
      );
      invalid(
        { checkpointInterval: "0s" },
        {},
        `--checkpoint-interval: expected ${expected}, found "0s"`,
      );
      invalid(
        {},
        { STATEFUN_CHECKPOINT_INTERVAL: "25 d" },
        `environment variable STATEFUN_CHECKPOINT_INTERVAL: expected ${expected}, found "25 d"`,
      );
    });

    it("a minimum pause or timeout that is not a duration", () => {
      invalid(
        { checkpointMinPause: "-1s" },
        {},
        '--checkpoint-min-pause: expected a duration from 0 ms to 24 d, such as "1s" or "200ms", found "-1s"',
      );
      invalid(
        {},
        { STATEFUN_CHECKPOINT_TIMEOUT: "1.5s" },
        'environment variable STATEFUN_CHECKPOINT_TIMEOUT: expected a duration from 1 ms to 24 d, such as "1s" or "200ms", found "1.5s"',
      );
    });

    it("a lease time to live that is not a duration", () => {
      invalid(
        { checkpointLeaseTtl: "forever" },
        {},
        '--checkpoint-lease-ttl: expected a duration from 0 ms to 24 d, such as "1s" or "200ms", found "forever"',
      );
    });

    it("a retained count below 1", () => {
      invalid(
        { checkpointsRetained: "0" },
        {},
        '--checkpoints-retained: expected an integer ≥ 1 (checkpoints), found "0"',
      );
    });

    it("an unknown mode", () => {
      invalid(
        {},
        { STATEFUN_CHECKPOINT_MODE: "exactly_once" },
        'environment variable STATEFUN_CHECKPOINT_MODE: expected one of exactly-once, at-least-once, found "exactly_once"',
      );
    });

    it("a storage that is neither a directory nor an s3:// URL", () => {
      invalid(
        { checkpointStorage: "gs://bucket" },
        {},
        '--checkpoint-storage: expected a directory path or an s3://bucket/prefix URL, found "gs://bucket"',
      );
      invalid(
        { checkpointStorage: " " },
        {},
        '--checkpoint-storage: expected a directory path or an s3://bucket/prefix URL, found " "',
      );
    });

    it("a savepoint that names a directory or no object", () => {
      invalid(
        { fromSavepoint: "savepoints/" },
        {},
        '--from-savepoint: expected a file path, not a directory (it ends with /), found "savepoints/"',
      );
      invalid(
        {},
        { STATEFUN_FROM_SAVEPOINT: "s3://bucket" },
        "environment variable STATEFUN_FROM_SAVEPOINT: expected an s3://bucket/prefix/name URL " +
          'with an object name after the prefix, found "s3://bucket"',
      );
    });

    it("a savepoint whose file name checkpoint storage refuses", () => {
      invalid(
        { fromSavepoint: "/backups/.hidden.sfc" },
        {},
        "--from-savepoint: expected a file name that checkpoint storage accepts " +
          '(its segment ".hidden.sfc" starts with "."), found "/backups/.hidden.sfc"',
      );
    });

    it("a savepoint without checkpointing", () => {
      invalid(
        { fromSavepoint: "sp.sfc", checkpointing: false },
        {},
        "--from-savepoint: starting from a savepoint needs checkpointing, which is off " +
          "(--no-checkpointing or STATEFUN_CHECKPOINTING=false)",
      );
    });

    it("an idempotency window that is not a duration or is zero", () => {
      const expected = 'expected a duration of at least 1 ms, such as "15 min"';
      invalid({ idempotencyWindow: "0" }, {}, `--idempotency-window: ${expected}, found "0"`);
      invalid(
        {},
        { STATEFUN_IDEMPOTENCY_WINDOW_MS: "soon" },
        `environment variable STATEFUN_IDEMPOTENCY_WINDOW_MS: ${expected}, found "soon"`,
      );
    });

    it("an unknown STATEFUN_CHECKPOINTING value, with every other bad value", () => {
      invalid(
        { checkpointsRetained: "many" },
        { STATEFUN_CHECKPOINTING: "off", STATEFUN_CHECKPOINT_INTERVAL: "soon" },
        "invalid options (3 problems):\n" +
          '  environment variable STATEFUN_CHECKPOINTING: expected one of true, false, found "off"\n' +
          '  environment variable STATEFUN_CHECKPOINT_INTERVAL: expected a duration from 1 ms to 24 d, such as "1s" or "200ms", found "soon"\n' +
          '  --checkpoints-retained: expected an integer ≥ 1 (checkpoints), found "many"',
      );
    });
  });
});
