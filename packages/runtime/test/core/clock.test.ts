/**
 * The system clock's timers: delays longer than a Node timer can hold (about 24.8 days) must not
 * fire early (Node would fire them after 1 ms); cancelled timers never fire.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { systemClock } from "../../src/index.js";

test("a timer longer than 2^31 - 1 ms does not fire early", async () => {
  let fired = false;
  const timer = systemClock.setTimer(30 * 24 * 60 * 60 * 1000, () => {
    fired = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(fired, false);
  timer.cancel();
});

test("short timers fire, cancelled ones do not", async () => {
  const fired: string[] = [];
  systemClock.setTimer(1, () => fired.push("a"));
  systemClock.setTimer(1, () => fired.push("b")).cancel();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(fired, ["a"]);
});
