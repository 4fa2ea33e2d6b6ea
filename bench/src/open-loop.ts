/**
 * An open-loop load: requests are sent when they are due, whatever the earlier ones are doing, so
 * that a stalled server cannot slow the load down and hide its stall.
 */

/**
 * Calls `send` `rate` times per second for `forMs`, each call when it is due (with its due time,
 * from `performance.now()`, so that latency is measured from it), and resolves with the rate
 * achieved once every call has settled.
 */
export async function openLoop(
  rate: number,
  forMs: number,
  send: (dueAt: number) => Promise<void>,
): Promise<number> {
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const count = Math.floor((forMs / 1000) * rate);
  const inflight: Promise<void>[] = [];
  let sent = 0;
  while (sent < count) {
    const now = performance.now();
    while (sent < count && start + sent * intervalMs <= now) {
      inflight.push(send(start + sent * intervalMs));
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inflight);
  return count / ((performance.now() - start) / 1000);
}
