/**
 * The state schema registry is state: it travels in savepoints, and what the start records (or a
 * savepoint restores) reaches the next incremental checkpoint — the runtime tracks changes from
 * before recovery on, so nothing changed between recovery and the start of checkpointing is lost.
 * A savepoint restored into a new directory, then a restart from that directory, keeps both the
 * function state and the typename history, so the type check still applies.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TypedValue, isStatefunError, stringType } from "@statefun-ts/protocol";
import { createLocalCheckpointStorage } from "../../src/index.js";
import { checkpointDirectory, startRuntime } from "../checkpoint/recovery-harness.js";
import { readState } from "../core/helpers.js";
import type { ProfileV1 } from "./schema-helpers.js";
import {
  PERSON,
  histories,
  person,
  personV1,
  personV2,
  profileV1,
  storedTypename,
} from "./schema-helpers.js";

test("state and typename histories survive a savepoint restore followed by a restart", async () => {
  const source = await checkpointDirectory();
  const first = await startRuntime(source, personV1());
  await first.runtime.submit(person("ada"), TypedValue.of(stringType, "Ada Lovelace"));
  await first.runtime.whenIdle();
  const savepoints = await createLocalCheckpointStorage({ directory: await checkpointDirectory() });
  await first.runtime.savepoint(savepoints, "before-upgrade.sfc");
  await first.runtime.stop();

  const target = await checkpointDirectory();
  const restored = await startRuntime(target, personV1(), {
    fromSavepoint: { storage: savepoints, name: "before-upgrade.sfc" },
  });
  assert.deepEqual(histories(restored.runtime, PERSON), { profile: ["example/ProfileV1"] });
  await restored.runtime.stop();

  const restarted = await startRuntime(target, personV2({ migrate: true }));
  const ada: ProfileV1 | undefined = readState(
    restarted.runtime,
    person("ada"),
    "profile",
    profileV1,
    Date.now(),
  );
  assert.deepEqual(ada, { name: "Ada Lovelace" }, "the savepoint's state reached the checkpoint");
  assert.equal(storedTypename(restarted.runtime, person("ada"), "profile"), "example/ProfileV1");
  assert.deepEqual(histories(restarted.runtime, PERSON), {
    profile: ["example/ProfileV1", "example/ProfileV2"],
  });
  await restarted.runtime.stop();

  await assert.rejects(startRuntime(target, personV2({ migrate: false })), (error: unknown) => {
    assert.ok(isStatefunError(error, "invalid-config"));
    assert.match(error.message, /with no migration from example\/ProfileV1/);
    return true;
  });
});
