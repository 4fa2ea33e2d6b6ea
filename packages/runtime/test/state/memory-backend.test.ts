/**
 * The in-memory state backend against the model-based conformance suite.
 */
import { test } from "node:test";
import { createMemoryStateBackend } from "../../src/index.js";
import { checkBackendConformance } from "./backend-conformance.js";

test("the memory backend conforms to the state backend model, crash and restore included", async () => {
  await checkBackendConformance(() => createMemoryStateBackend({ maxKeyGroups: 4 }));
});
