/**
 * Helpers of the schema evolution tests: a person function in three versions (v1 stores a
 * ProfileV1; v2 declares ProfileV2 with or without a migration from v1), and reading a stored
 * value's typename and the recorded typename history straight from a runtime's state backend.
 */
import type { Address } from "@statefun-ts/protocol";
import { addressOf } from "@statefun-ts/protocol";
import type { StatefulFunctions } from "@statefun-ts/sdk";
import { createStatefulFunctions, jsonType, migration } from "@statefun-ts/sdk";
import type { Runtime } from "../../src/index.js";
import { keyGroupOf, readStateSchemas } from "../../src/index.js";

/** The first shape of a profile. */
export interface ProfileV1 {
  readonly name: string;
}

/** The second shape: the name split in two. */
export interface ProfileV2 {
  readonly first: string;
  readonly last: string;
}

/** The function type of the tests. */
export const PERSON = "example/person";
export const profileV1 = jsonType<ProfileV1>("example/ProfileV1");
export const profileV2 = jsonType<ProfileV2>("example/ProfileV2");

/** The address of a person. */
export function person(id: string): Address {
  return addressOf(PERSON, id);
}

/** v1: a message (a string) becomes the person's name. */
export function personV1(): StatefulFunctions {
  return createStatefulFunctions().bind({
    typename: PERSON,
    state: { profile: profileV1 },
    fn(ctx, message) {
      ctx.storage.profile = { name: message.asString() };
    },
  });
}

/**
 * v2: "read" reads the profile into `seen` (without assigning it), "touch" does nothing, any other
 * text becomes the last name. With `migrate`, ProfileV1 values are migrated on read.
 */
export function personV2(
  options: { readonly migrate: boolean; readonly seen?: Map<string, ProfileV2 | undefined> } = {
    migrate: true,
  },
): StatefulFunctions {
  const upgrade = migration(profileV1, (old): ProfileV2 => {
    const [first = "", last = ""] = old.name.split(" ");
    return { first, last };
  });
  return createStatefulFunctions().bind({
    typename: PERSON,
    state: {
      profile: options.migrate ? { type: profileV2, migrateFrom: [upgrade] } : profileV2,
    },
    fn(ctx, message) {
      const text = message.asString();
      if (text === "read") options.seen?.set(ctx.self.id, ctx.storage.profile);
      else if (text !== "touch")
        ctx.storage.profile = { first: ctx.storage.profile?.first ?? "", last: text };
    },
  });
}

/** The typename a value of an address is stored with, read from the backend. */
export function storedTypename(runtime: Runtime, address: Address, name: string): string {
  const keyGroup = keyGroupOf(address.id, runtime.backend.maxKeyGroups);
  const entry = runtime.backend
    .table(address.typename)
    .entries(address.id, keyGroup, Date.now())
    .find((stored) => stored.name === name);
  return entry?.value.typename ?? "(none)";
}

/** The recorded typename histories of a function type, as a plain object. */
export function histories(runtime: Runtime, functionType: string): Record<string, string[]> {
  return Object.fromEntries(
    [...readStateSchemas(runtime.backend, functionType)].map(([name, h]) => [name, [...h]]),
  );
}
