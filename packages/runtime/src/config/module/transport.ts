/**
 * The `transport` of HTTP endpoints (reference §1.10, §3.3): schemas for the async and OkHttp
 * transports, and their resolution to options with StateFun's defaults, including the async
 * transport's `timeouts` quirk (rough edge §8.25), which is reproduced and reported as a warning.
 */
import { z } from "zod";
import type { SpecContext } from "./binder.js";
import { formatDurationMs } from "./duration.js";
import { durationSchema, intRangeSchema, nonEmptyString } from "./fields.js";
import type { FieldPath } from "./problems.js";
import type { AsyncTransportOptions, OkHttpTransportOptions, TransportOptions } from "./types.js";

/** The async (Netty) transport's type, the default of v2 endpoints. */
export const ASYNC_TRANSPORT_TYPE = "io.statefun.transports.v1/async";
/** The OkHttp transport's type, always used by v1 endpoints. */
export const OKHTTP_TRANSPORT_TYPE = "io.statefun.transports.v1/okhttp";

const INT32_MAX = 2_147_483_647;
const TLS_FILE = "a file path or URL";

/** `timeouts` of the OkHttp transport (also `spec.timeouts` of v1 endpoints). */
export const okHttpTimeoutsSchema = z.object(
  {
    call: durationSchema().optional(),
    connect: durationSchema().optional(),
    read: durationSchema().optional(),
    write: durationSchema().optional(),
  },
  { error: "a mapping of timeouts (call, connect, read, write)" },
);

const asyncTransportSchema = z.object({
  type: z.literal(ASYNC_TRANSPORT_TYPE),
  call: durationSchema().optional(),
  connect: durationSchema().optional(),
  pool_ttl: durationSchema({ allowZero: true }).optional(),
  pool_size: intRangeSchema(`an integer from 1 to ${INT32_MAX}`, 1, INT32_MAX).optional(),
  payload_max_bytes: intRangeSchema(
    `a number of bytes from 1 to ${INT32_MAX}`,
    1,
    INT32_MAX,
  ).optional(),
  trust_cacerts: nonEmptyString(TLS_FILE).optional(),
  client_cert: nonEmptyString(TLS_FILE).optional(),
  client_key: nonEmptyString(TLS_FILE).optional(),
  client_key_password: nonEmptyString(`${TLS_FILE} (of a file holding the password)`).optional(),
  timeouts: z
    .object(
      {
        call: durationSchema().optional(),
        connect: durationSchema().optional(),
        // Ignored by the async transport; kept only to warn about them.
        read: z.unknown().optional(),
        write: z.unknown().optional(),
      },
      { error: "a mapping of timeouts (call, connect)" },
    )
    .optional(),
});

const okHttpTransportSchema = z.object({
  type: z.literal(OKHTTP_TRANSPORT_TYPE),
  timeouts: okHttpTimeoutsSchema.optional(),
});

const TRANSPORT_TYPE_EXPECTED = `"${ASYNC_TRANSPORT_TYPE}" (the default) or "${OKHTTP_TRANSPORT_TYPE}"`;

/** `spec.transport` of v2 endpoints; a missing `type` selects the async transport. */
export const transportSchema = z.preprocess(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    (value as Record<string, unknown>)["type"] === undefined
      ? { ...value, type: ASYNC_TRANSPORT_TYPE }
      : value,
  z.discriminatedUnion("type", [asyncTransportSchema, okHttpTransportSchema], {
    error: (issue) =>
      issue.code === "invalid_union" ? TRANSPORT_TYPE_EXPECTED : "a mapping of transport settings",
  }),
);

/** A validated but unresolved transport. */
export type RawTransport = z.output<typeof transportSchema>;
/** Validated but unresolved OkHttp timeouts. */
export type RawOkHttpTimeouts = z.output<typeof okHttpTimeoutsSchema>;

const MINUTE_MS = 60_000;
const SECOND_MS = 1_000;

/**
 * Resolves a v2 endpoint's transport (at `spec.transport`) with StateFun's defaults. Returns
 * `undefined` after reporting problems.
 */
export function resolveTransport(
  raw: RawTransport | undefined,
  at: SpecContext,
): TransportOptions | undefined {
  if (raw === undefined) return resolveAsync({ type: ASYNC_TRANSPORT_TYPE }, at);
  if (raw.type === OKHTTP_TRANSPORT_TYPE) {
    return resolveOkHttpTimeouts(raw.timeouts, ["transport", "timeouts"], at);
  }
  return resolveAsync(raw, at);
}

type RawAsync = Extract<RawTransport, { type: typeof ASYNC_TRANSPORT_TYPE }>;

function resolveAsync(raw: RawAsync, at: SpecContext): AsyncTransportOptions | undefined {
  const { timeouts } = raw;
  const path: FieldPath = ["transport", "timeouts"];
  if (timeouts !== undefined) {
    // StateFun (NettyRequestReplySpec): a `timeouts` object wins over the top-level values, and
    // its own defaults (1 min / 10 s) apply to the fields it lacks. Reproduced for
    // compatibility, and reported because it silently shortens the call budget.
    if (timeouts.call === undefined) {
      const ignored =
        raw.call === undefined
          ? "instead of the default 2 min"
          : `the top-level call: ${formatDurationMs(raw.call)} is ignored`;
      at.warn(
        path,
        `timeouts object present without call: call budget reset to 1 min (${ignored})`,
      );
    }
    if (timeouts.connect === undefined && raw.connect !== undefined) {
      at.warn(
        path,
        `timeouts object present without connect: connect timeout reset to 10 s ` +
          `(the top-level connect: ${formatDurationMs(raw.connect)} is ignored)`,
      );
    }
    if (timeouts.read !== undefined || timeouts.write !== undefined) {
      at.warn(path, "read and write timeouts are ignored by the async transport");
    }
  }
  const tls = resolveTls(raw, at);
  if (tls === null) return undefined;
  return {
    type: "async",
    callTimeoutMs:
      timeouts === undefined ? (raw.call ?? 2 * MINUTE_MS) : (timeouts.call ?? MINUTE_MS),
    connectTimeoutMs:
      timeouts === undefined
        ? (raw.connect ?? 20 * SECOND_MS)
        : (timeouts.connect ?? 10 * SECOND_MS),
    poolTtlMs: raw.pool_ttl ?? 15 * SECOND_MS,
    poolSize: raw.pool_size ?? 1024,
    payloadMaxBytes: raw.payload_max_bytes ?? 32 * 1024 * 1024,
    tls,
  };
}

/** The TLS options, `undefined` when none is set, `null` after reporting a problem. */
function resolveTls(raw: RawAsync, at: SpecContext): AsyncTransportOptions["tls"] | null {
  const { trust_cacerts, client_cert, client_key, client_key_password } = raw;
  if ((client_cert === undefined) !== (client_key === undefined)) {
    const [present, missing] =
      client_cert === undefined ? ["client_key", "client_cert"] : ["client_cert", "client_key"];
    at.problem(
      ["transport", missing],
      `client_cert and client_key together (mutual TLS needs both)`,
      `${present} without ${missing}`,
    );
    return null;
  }
  if ([trust_cacerts, client_cert, client_key, client_key_password].every((v) => v === undefined)) {
    return undefined;
  }
  return {
    trustCaCerts: trust_cacerts,
    clientCert: client_cert,
    clientKey: client_key,
    clientKeyPassword: client_key_password,
  };
}

/**
 * Resolves OkHttp timeouts found at `path` (relative to `spec`) with StateFun's defaults (call
 * 1 min; connect, read, write 10 s each) and rejects connect/read/write larger than call, as
 * StateFun does, defaults included. Returns `undefined` after reporting problems.
 */
export function resolveOkHttpTimeouts(
  raw: RawOkHttpTimeouts | undefined,
  path: FieldPath,
  at: SpecContext,
): OkHttpTransportOptions | undefined {
  const callTimeoutMs = raw?.call ?? MINUTE_MS;
  let valid = true;
  const bounded = (field: "connect" | "read" | "write"): number => {
    const value = raw?.[field];
    const millis = value ?? 10 * SECOND_MS;
    if (millis > callTimeoutMs) {
      valid = false;
      at.problem(
        [...path, field],
        `a ${field} timeout no larger than the call timeout (${formatDurationMs(callTimeoutMs)})`,
        `${formatDurationMs(millis)}${value === undefined ? " (the default)" : ""}`,
      );
    }
    return millis;
  };
  const options: OkHttpTransportOptions = {
    type: "okhttp",
    callTimeoutMs,
    connectTimeoutMs: bounded("connect"),
    readTimeoutMs: bounded("read"),
    writeTimeoutMs: bounded("write"),
  };
  return valid ? options : undefined;
}
