/**
 * Binders of the StateFun playground ingress and egress (reference §3.8): HTTP servers on a
 * port, with fixed ids, so an application has at most one of each.
 */
import { z } from "zod";
import type { EgressBinder, IngressBinder } from "./binder.js";
import { nonEmptyString, portSchema } from "./fields.js";

/** The kind of the playground ingress. */
export const PLAYGROUND_INGRESS_KIND = "io.statefun.playground.v1/ingress";
/** The kind of the playground egress. */
export const PLAYGROUND_EGRESS_KIND = "io.statefun.playground.v1/egress";
/** The fixed id of the playground ingress. */
export const PLAYGROUND_INGRESS_ID = "io.statefun.playground/ingress";
/** The fixed id of the playground egress. */
export const PLAYGROUND_EGRESS_ID = "io.statefun.playground/egress";

const ingressSpecSchema = z.object({ port: portSchema });

const egressSpecSchema = z.object({
  port: portSchema,
  topics: z.array(nonEmptyString("a non-empty topic name"), {
    error: "a list of topic names (functions may publish only to these)",
  }),
});

/** Binder of `io.statefun.playground.v1/ingress`: `spec.port` (required; 0 = ephemeral). */
export const playgroundIngressBinder: IngressBinder = {
  kind: PLAYGROUND_INGRESS_KIND,
  category: "ingress",
  parse(_spec, at) {
    const parsed = at.validate(ingressSpecSchema);
    if (parsed === undefined) return undefined;
    return {
      kind: PLAYGROUND_INGRESS_KIND,
      id: PLAYGROUND_INGRESS_ID,
      source: at.source,
      port: parsed.port,
    };
  },
};

/**
 * Binder of `io.statefun.playground.v1/egress`: `spec.port` (required; 0 = ephemeral) and
 * `spec.topics` (required list; an empty list is accepted with a warning, since no function
 * could then publish to this egress).
 */
export const playgroundEgressBinder: EgressBinder = {
  kind: PLAYGROUND_EGRESS_KIND,
  category: "egress",
  parse(_spec, at) {
    const parsed = at.validate(egressSpecSchema);
    if (parsed === undefined) return undefined;
    if (parsed.topics.length === 0) {
      at.warn(["topics"], "no topics: every record sent to this egress will be refused");
    }
    return {
      kind: PLAYGROUND_EGRESS_KIND,
      id: PLAYGROUND_EGRESS_ID,
      source: at.source,
      port: parsed.port,
      topics: parsed.topics,
    };
  },
};
