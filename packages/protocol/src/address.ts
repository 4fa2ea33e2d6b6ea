/**
 * Addresses of function instances: a function type (namespace and name) plus an id.
 */
import { StatefunError } from "./errors.js";
import { parseTypeName } from "./typename.js";

/** The address of one function instance. */
export interface Address {
  /** Namespace of the function type. */
  readonly namespace: string;
  /** Name of the function type (the protocol calls it `type`). */
  readonly name: string;
  /** The instance id: free-form UTF-8, may contain `/`. */
  readonly id: string;
  /** `<namespace>/<name>` of the function type. */
  readonly typename: string;
}

/** Builds an address from the typename of its function type and an id. */
export function addressOf(typename: string, id: string): Address {
  const parsed = parseTypeName(typename);
  if (typeof id !== "string" || id.length === 0) {
    throw new StatefunError("invalid-argument", `expected a non-empty address id for ${typename}`);
  }
  return { namespace: parsed.namespace, name: parsed.name, id, typename };
}

/** Builds an address from its three parts. */
export function addressFromParts(namespace: string, name: string, id: string): Address {
  return addressOf(`${namespace}/${name}`, id);
}

/** Renders an address as `namespace/name/id` for logs and errors. */
export function formatAddress(address: Pick<Address, "typename" | "id">): string {
  return `${address.typename}/${address.id}`;
}

/** True when two addresses denote the same function instance. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.id === b.id && a.typename === b.typename;
}
