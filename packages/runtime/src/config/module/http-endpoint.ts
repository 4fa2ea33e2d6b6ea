/**
 * Binders of remote function endpoints: `io.statefun.endpoints.v2/http` and the legacy
 * `io.statefun.endpoints.v1/http` (reference §3.3, §3.4): function patterns, URL templates,
 * batching bound and transport.
 */
import { z } from "zod";
import type { EndpointBinder, SpecContext } from "./binder.js";
import {
  OKHTTP_TRANSPORT_TYPE,
  okHttpTimeoutsSchema,
  resolveOkHttpTimeouts,
  resolveTransport,
  transportSchema,
} from "./transport.js";
import type { FunctionPattern, HttpEndpointDefinition, TransportOptions } from "./types.js";

/** The kind of v2 HTTP endpoints. */
export const HTTP_ENDPOINT_V2_KIND = "io.statefun.endpoints.v2/http";
/** The kind of v1 HTTP endpoints (always OkHttp, `spec.timeouts`). */
export const HTTP_ENDPOINT_V1_KIND = "io.statefun.endpoints.v1/http";

const FUNCTIONS_EXPECTED =
  'a function pattern "<namespace>/<name>" or "<namespace>/*" (no "*" in the namespace, ' +
  'and "*" only as the whole name)';

/**
 * Parses an endpoint's `functions`: `<namespace>/<name>` or `<namespace>/*`. Returns `undefined`
 * for anything else (not exactly one `/`, an empty part, `*` in the namespace, `foo*`).
 */
export function parseFunctionPattern(text: string): FunctionPattern | undefined {
  const parts = text.split("/");
  const [namespace, name] = parts;
  if (parts.length !== 2 || namespace === undefined || name === undefined) return undefined;
  if (namespace === "" || name === "" || namespace.includes("*")) return undefined;
  if (name === "*") return { namespace, name: undefined };
  return name.includes("*") ? undefined : { namespace, name };
}

const functionsSchema = z.string({ error: FUNCTIONS_EXPECTED }).transform((text, ctx) => {
  const pattern = parseFunctionPattern(text);
  if (pattern === undefined) {
    ctx.addIssue({ code: "custom", message: FUNCTIONS_EXPECTED, input: text });
    return z.NEVER;
  }
  return pattern;
});

const URL_EXPECTED = "an http:// or https:// URL, optionally with the placeholder {function.name}";

/** A name substituted for `{function.name}` to check that the template yields a valid URL. */
const SAMPLE_FUNCTION_NAME = "greeter";

/**
 * Checks a URL template; returns the expected phrase of the problem, or `undefined` when valid.
 * Only `{function.name}` is a placeholder (StateFun has no other, see rough edge §8.4). Unix
 * socket URLs (`http+unix://`, `https+unix://`) must name a `.sock` file and are accepted only
 * with the OkHttp transport (`okHttp`).
 */
export function checkUrlTemplate(template: string, okHttp: boolean): string | undefined {
  const others = [...template.matchAll(/\{[^{}]*\}/gu)]
    .map(([placeholder]) => placeholder)
    .filter((placeholder) => placeholder !== "{function.name}");
  if (others.length > 0) {
    return (
      `a URL whose only placeholder is {function.name} (StateFun supports no other; ` +
      `${[...new Set(others)].join(", ")} is not supported)`
    );
  }
  const sample = template.replaceAll("{function.name}", SAMPLE_FUNCTION_NAME);
  if (sample.includes("{") || sample.includes("}")) {
    return `${URL_EXPECTED}, without other braces`;
  }
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    return URL_EXPECTED;
  }
  switch (url.protocol) {
    case "http:":
    case "https:":
      return undefined;
    case "http+unix:":
    case "https+unix:":
      if (!url.pathname.split("/").some((segment) => segment.endsWith(".sock"))) {
        return "a unix socket URL whose path names the socket file (a segment ending in .sock)";
      }
      return okHttp
        ? undefined
        : `${URL_EXPECTED} (http+unix:// and https+unix:// URLs need ` +
            `transport type ${OKHTTP_TRANSPORT_TYPE})`;
    default:
      return URL_EXPECTED;
  }
}

/** Template checks that do not depend on the transport (unix URLs are checked afterwards). */
const urlTemplateSchema = z.string({ error: URL_EXPECTED }).superRefine((template, ctx) => {
  const expected = checkUrlTemplate(template, true);
  if (expected !== undefined) ctx.addIssue({ code: "custom", message: expected, input: template });
});

const commonFields = {
  functions: functionsSchema,
  urlPathTemplate: urlTemplateSchema,
  maxNumBatchRequests: z
    .int({ error: "an integer (0 or less disables per-address backpressure)" })
    .optional(),
};

const v2SpecSchema = z.object({ ...commonFields, transport: transportSchema.optional() });
const v1SpecSchema = z.object({
  ...commonFields,
  timeouts: okHttpTimeoutsSchema.optional(),
  // Read by StateFun's v1 binder but without effect there; validated, then ignored.
  maxRetries: z.int({ error: "an integer" }).optional(),
});

function endpointDefinition(
  kind: HttpEndpointDefinition["kind"],
  common: z.output<z.ZodObject<typeof commonFields>>,
  transport: TransportOptions | undefined,
  at: SpecContext,
): HttpEndpointDefinition | undefined {
  if (transport === undefined) return undefined;
  const urlProblem = checkUrlTemplate(common.urlPathTemplate, transport.type === "okhttp");
  if (urlProblem !== undefined) {
    at.problem(["urlPathTemplate"], urlProblem);
    return undefined;
  }
  return {
    kind,
    source: at.source,
    functions: common.functions,
    urlPathTemplate: common.urlPathTemplate,
    maxNumBatchRequests: common.maxNumBatchRequests ?? 1000,
    transport,
  };
}

/** Binder of `io.statefun.endpoints.v2/http`. */
export const httpEndpointV2Binder: EndpointBinder = {
  kind: HTTP_ENDPOINT_V2_KIND,
  category: "endpoint",
  parse(_spec, at) {
    const parsed = at.validate(v2SpecSchema);
    if (parsed === undefined) return undefined;
    const transport = resolveTransport(parsed.transport, at);
    return endpointDefinition(HTTP_ENDPOINT_V2_KIND, parsed, transport, at);
  },
};

/** Binder of `io.statefun.endpoints.v1/http` (OkHttp, timeouts under `spec.timeouts`). */
export const httpEndpointV1Binder: EndpointBinder = {
  kind: HTTP_ENDPOINT_V1_KIND,
  category: "endpoint",
  parse(_spec, at) {
    const parsed = at.validate(v1SpecSchema);
    if (parsed === undefined) return undefined;
    const transport = resolveOkHttpTimeouts(parsed.timeouts, ["timeouts"], at);
    return endpointDefinition(HTTP_ENDPOINT_V1_KIND, parsed, transport, at);
  },
};
