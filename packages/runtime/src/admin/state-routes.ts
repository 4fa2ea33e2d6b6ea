/**
 * The admin API's queryable-state resources, read-only:
 * - `GET /v1/functions[?system=true]`: function types (function-views.ts);
 * - `GET /v1/functions/:namespace/:type/ids?after=<cursor>&limit=<n>`: pages of ids holding state;
 * - `GET /v1/state/:namespace/:type/:id`: every live value of an address (state-values.ts).
 *
 * Consistency: state changes only between event-loop turns, an invocation's effects in one
 * synchronous step, and every handler here reads the backend in one synchronous step too, so an
 * answer never shows half of an invocation's effects. Paging spans requests, so a listing is not
 * a snapshot, but the backend's cursor guarantees hold while writes continue: an id is listed at
 * most once, in (key group, id) order, and every id that holds state throughout the listing is in
 * it. Every answer is bounded: at most {@link MAX_IDS_PAGE_LIMIT} ids a page, values larger than
 * {@link MAX_STATE_VALUE_BYTES} replaced by their size.
 */
import { keyGroupOf } from "../core/key-group.js";
import type { Runtime } from "../runtime.js";
import type { IdCursor } from "../state/backend.js";
import type { FunctionView } from "./function-views.js";
import { functionViews, isKnownFunctionType } from "./function-views.js";
import type { AdminHandler, AdminRequest, AdminResult } from "./router.js";
import type { StateValueView } from "./state-values.js";
import { MAX_STATE_VALUE_BYTES, stateValueView } from "./state-values.js";

/** Ids per page when the request gives no `limit`: 100. */
export const DEFAULT_IDS_PAGE_LIMIT = 100;
/** The largest `limit` of a page of ids: 1000 (a larger one is answered 400). */
export const MAX_IDS_PAGE_LIMIT = 1000;

/** Body of `GET /v1/functions`. */
export interface FunctionsView {
  readonly functions: readonly FunctionView[];
}

/** Body of `GET /v1/functions/:namespace/:type/ids`. */
export interface IdsPageView {
  /** Ids holding live state, in (key group, id) order. */
  readonly ids: readonly string[];
  /** The `after` of the next page, or `null` on the last page. */
  readonly next: string | null;
}

/** Body of `GET /v1/state/:namespace/:type/:id`. */
export interface AddressStateView {
  /** The function type. */
  readonly typename: string;
  /** The id, decoded. */
  readonly id: string;
  /** Every live value, in the backend's order. */
  readonly values: readonly StateValueView[];
}

/**
 * A cursor as the API hands it out: the base64url (no padding) of the JSON
 * `{"keyGroup":<n>,"id":"<id>"}`. Clients treat it as opaque.
 */
export function encodeIdCursor(cursor: IdCursor): string {
  const json = JSON.stringify({ keyGroup: cursor.keyGroup, id: cursor.id });
  return Buffer.from(json, "utf8").toString("base64url");
}

/**
 * Decodes a cursor made by {@link encodeIdCursor} for a backend with `maxKeyGroups` key groups.
 * Only canonical text is accepted, and the id must belong to the key group.
 *
 * @returns the cursor, or a string saying what is wrong.
 */
export function decodeIdCursor(text: string, maxKeyGroups: number): IdCursor | string {
  const malformed = "not a cursor returned as next by this API";
  if (!/^[A-Za-z0-9_-]+$/u.test(text)) return malformed;
  let parsed: unknown;
  try {
    const bytes = Buffer.from(text, "base64url");
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return malformed;
  }
  const { keyGroup, id } = (parsed ?? {}) as { keyGroup?: unknown; id?: unknown };
  if (
    typeof keyGroup !== "number" ||
    typeof id !== "string" ||
    !Number.isInteger(keyGroup) ||
    encodeIdCursor({ keyGroup, id }) !== text
  ) {
    return malformed;
  }
  if (keyGroup < 0 || keyGroup >= maxKeyGroups || keyGroupOf(id, maxKeyGroups) !== keyGroup) {
    return `its id is not in key group ${keyGroup} of ${maxKeyGroups}`;
  }
  return { keyGroup, id };
}

function refusal(status: number, code: string, error: string): AdminResult {
  return { status, json: { error, code } };
}

function badRequest(error: string): AdminResult {
  return refusal(400, "bad-request", error);
}

/** The function type named by the path, or the 404 answer when the runtime does not know it. */
function functionTypeOf(runtime: Runtime, request: AdminRequest): string | AdminResult {
  const typename = `${request.params.namespace ?? ""}/${request.params.type ?? ""}`;
  if (isKnownFunctionType(runtime, typename)) return typename;
  return refusal(
    404,
    "unknown-function-type",
    `unknown function type ${typename}: no function of this type is known to the runtime and no state of it exists`,
  );
}

/** `GET /v1/functions`: `?system=true` adds the runtime's system tables. */
export function functionsHandler(runtime: Runtime): AdminHandler {
  return (request) => {
    const system = request.query.get("system") ?? "false";
    if (system !== "true" && system !== "false") {
      return badRequest(
        `query parameter system: expected true or false, found ${JSON.stringify(system)}`,
      );
    }
    const view: FunctionsView = {
      functions: functionViews(runtime, { system: system === "true" }),
    };
    return { json: view };
  };
}

/** The page size of a request, or the 400 answer. */
function limitOf(query: URLSearchParams): number | AdminResult {
  const raw = query.get("limit");
  if (raw === null) return DEFAULT_IDS_PAGE_LIMIT;
  const limit = /^\d{1,7}$/u.test(raw) ? Number(raw) : Number.NaN;
  if (limit >= 1 && limit <= MAX_IDS_PAGE_LIMIT) return limit;
  return badRequest(
    `query parameter limit: expected an integer from 1 to ${MAX_IDS_PAGE_LIMIT}, found ${JSON.stringify(raw)}`,
  );
}

/** `GET /v1/functions/:namespace/:type/ids`. */
export function idsHandler(runtime: Runtime): AdminHandler {
  return (request) => {
    const typename = functionTypeOf(runtime, request);
    if (typeof typename !== "string") return typename;
    const limit = limitOf(request.query);
    if (typeof limit !== "number") return limit;
    const afterText = request.query.get("after");
    let after: IdCursor | undefined;
    if (afterText !== null) {
      const cursor = decodeIdCursor(afterText, runtime.backend.maxKeyGroups);
      if (typeof cursor === "string") {
        return badRequest(`query parameter after: ${cursor}, found ${JSON.stringify(afterText)}`);
      }
      after = cursor;
    }
    const page = runtime.backend.listIds(typename, after, limit, runtime.options.clock.now());
    const view: IdsPageView = {
      ids: page.ids,
      next: page.next === undefined ? null : encodeIdCursor(page.next),
    };
    return { json: view };
  };
}

/** `GET /v1/state/:namespace/:type/:id`. */
export function stateHandler(
  runtime: Runtime,
  maxValueBytes = MAX_STATE_VALUE_BYTES,
): AdminHandler {
  return (request) => {
    const typename = functionTypeOf(runtime, request);
    if (typeof typename !== "string") return typename;
    const id = request.params.id ?? "";
    const { backend } = runtime;
    const nowMs = runtime.options.clock.now();
    const stored = backend.table(typename).entries(id, keyGroupOf(id, backend.maxKeyGroups), nowMs);
    if (stored.length === 0) {
      return refusal(404, "no-state", `no state for ${typename} id ${JSON.stringify(id)}`);
    }
    const view: AddressStateView = {
      typename,
      id,
      values: stored.map((value) => stateValueView(value, maxValueBytes)),
    };
    return { json: view };
  };
}
