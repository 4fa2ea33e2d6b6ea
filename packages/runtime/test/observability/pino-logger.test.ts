/**
 * Tests of the pino-backed logger: JSON lines (level label, ISO time, msg, service, fields,
 * child bindings), level filtering, the pretty single-line format, file-descriptor destinations
 * and option validation (including `STATEFUN_LOG_LEVEL`).
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, it } from "node:test";
import { isStatefunError } from "@statefun-ts/protocol";
import { createLogger, errorFields, resolveLoggerOptions } from "../../src/index.js";
import type { LogLevel, LoggerOptions, Logger } from "../../src/index.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Runs `write` against a logger on a PassThrough and returns what it wrote. */
async function capture(options: LoggerOptions, write: (logger: Logger) => void): Promise<string> {
  const stream = new PassThrough();
  write(createLogger({ ...options, destination: stream }));
  stream.end();
  return text(stream);
}

function jsonLines(output: string): Record<string, unknown>[] {
  assert.ok(output.endsWith("\n"), `output ends with a newline: ${JSON.stringify(output)}`);
  return output
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("createLogger", () => {
  it("writes one JSON object per line with level label, ISO time, msg, service and fields", async () => {
    const before = Date.now();
    const output = await capture({ level: "debug" }, (logger) => {
      logger.info({ address: "ns/f/1", attempts: 2 }, "invocation failed");
      logger.debug({}, "100%s literal");
      logger.child({ component: "admin" }).warn({ port: 8081 }, "listening");
    });
    const lines = jsonLines(output);
    assert.equal(lines.length, 3);
    const [first, second, third] = lines as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    assert.deepEqual(
      { ...first, time: undefined },
      {
        level: "info",
        time: undefined,
        service: "statefun",
        address: "ns/f/1",
        attempts: 2,
        msg: "invocation failed",
      },
    );
    assert.match(String(first.time), ISO);
    const time = Date.parse(String(first.time));
    assert.ok(
      time >= before - 1000 && time <= Date.now() + 1000,
      `time ${String(first.time)} is now`,
    );
    assert.equal(second.level, "debug");
    assert.equal(second.msg, "100%s literal");
    assert.deepEqual(
      {
        level: third.level,
        component: third.component,
        port: third.port,
        msg: third.msg,
        service: third.service,
      },
      { level: "warn", component: "admin", port: 8081, msg: "listening", service: "statefun" },
    );
  });

  it("defaults to info and drops less severe lines", async () => {
    const output = await capture({}, (logger) => {
      logger.debug({}, "hidden");
      logger.info({}, "shown");
      logger.error(errorFields(new Error("outer", { cause: new Error("inner") })), "failed");
    });
    const lines = jsonLines(output);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        ["info", "shown"],
        ["error", "failed"],
      ],
    );
    assert.deepEqual(lines[1]?.causes, ["inner"]);
    assert.equal(lines[1]?.error, "outer");
  });

  it("writes only what is at least as severe as the level", async () => {
    const warn = await capture({ level: "warn" }, (logger) => {
      logger.info({}, "info");
      logger.warn({}, "warn");
      logger.error({}, "error");
    });
    assert.deepEqual(
      jsonLines(warn).map((l) => l.msg),
      ["warn", "error"],
    );
    const silent = await capture({ level: "silent" }, (logger) => logger.error({}, "nothing"));
    assert.equal(silent, "");
  });

  it("renders pretty output as one human-readable line per entry", async () => {
    const output = await capture({ pretty: true }, (logger) => {
      logger.info({ address: "ns/f/1", n: 2, text: "two words", nested: { a: 1 } }, "hello");
      logger.error({ stack: "line 1\nline 2" }, "bad");
    });
    const lines = output.split("\n");
    assert.equal(lines.length, 3, JSON.stringify(output));
    assert.equal(lines[2], "");
    const first = /^(\S+) (.*)$/.exec(lines[0] ?? "");
    assert.ok(first !== null);
    assert.match(first[1] ?? "", ISO);
    assert.equal(first[2], 'INFO  hello address=ns/f/1 n=2 text="two words" nested={"a":1}');
    assert.match(lines[1] ?? "", /^\S+ ERROR bad stack="line 1\\nline 2"$/);
  });

  it("writes synchronously to a file descriptor", () => {
    const dir = mkdtempSync(join(tmpdir(), "statefun-logger-"));
    try {
      const file = join(dir, "log.jsonl");
      const fd = openSync(file, "w");
      try {
        createLogger({ destination: fd }).info({ id: 7 }, "to a file");
      } finally {
        closeSync(fd);
      }
      const [line] = jsonLines(readFileSync(file, "utf8"));
      assert.deepEqual([line?.msg, line?.id, line?.level], ["to a file", 7, "info"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown level naming the allowed values", () => {
    assert.throws(
      () =>
        createLogger({
          level: "verbose" as unknown as LogLevel,
          destination: new PassThrough(),
        }),
      (error: unknown) =>
        isStatefunError(error, "invalid-config") &&
        error.message.includes('"verbose"') &&
        error.message.includes("fatal, error, warn, info, debug, trace, silent"),
    );
  });

  it("rejects a destination that is neither a stream nor a file descriptor", () => {
    assert.throws(
      () => createLogger({ destination: -1 }),
      (error: unknown) =>
        isStatefunError(error, "invalid-config") && error.message.includes("destination"),
    );
  });
});

describe("resolveLoggerOptions", () => {
  it("fills in defaults", () => {
    assert.deepEqual(resolveLoggerOptions(), { level: "info", pretty: false, destination: 1 });
  });

  it("reads STATEFUN_LOG_LEVEL; an explicit level wins", () => {
    assert.equal(resolveLoggerOptions({}, { STATEFUN_LOG_LEVEL: "debug" }).level, "debug");
    assert.equal(
      resolveLoggerOptions({ level: "error" }, { STATEFUN_LOG_LEVEL: "debug" }).level,
      "error",
    );
    assert.equal(resolveLoggerOptions({}, { STATEFUN_LOG_LEVEL: "" }).level, "info");
  });

  it("names the environment variable when its value is not a level", () => {
    assert.throws(
      () => resolveLoggerOptions({}, { STATEFUN_LOG_LEVEL: "loud" }),
      (error: unknown) =>
        isStatefunError(error, "invalid-config") &&
        error.message.includes("STATEFUN_LOG_LEVEL") &&
        error.message.includes('"loud"'),
    );
  });

  it("does not mutate its input", () => {
    const options = Object.freeze({ level: "warn" as const });
    assert.deepEqual(resolveLoggerOptions(options), {
      level: "warn",
      pretty: false,
      destination: 1,
    });
    assert.deepEqual(options, { level: "warn" });
  });
});
