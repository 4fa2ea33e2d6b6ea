/**
 * Time for the runtime core: the current time and one-shot timers. The core never reads the wall
 * clock or sleeps directly, so tests drive delayed messages, retries and expiration with a
 * {@link ManualClock}.
 */

/** A cancellable timer. */
export interface TimerHandle {
  /** Cancels the timer; no effect when it already fired. */
  cancel(): void;
}

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` milliseconds from now (0 means as soon as possible). */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

/** The longest delay a Node timer honours; longer ones fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The system clock: `Date.now()` and Node timers (unref'd so they never keep a process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    // Delays beyond what a Node timer can hold are waited out in steps.
    const dueMs = Date.now() + Math.max(0, delayMs);
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const remaining = dueMs - Date.now();
      timer = setTimeout(
        remaining > MAX_TIMER_MS ? arm : callback,
        Math.min(Math.max(0, remaining), MAX_TIMER_MS),
      );
      timer.unref();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface ManualTimer {
  readonly dueMs: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to: for tests. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  /** @param startMs - the initial time in milliseconds since the epoch. Default: 1,000,000. */
  constructor(startMs = 1_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: ManualTimer = {
      dueMs: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers not yet fired nor cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers in due-time order (ties in creation order). */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Moves time forward to `targetMs`, firing due timers in order, including timers they set. */
  advanceTo(targetMs: number): void {
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.dueMs <= targetMs)
        .sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.current = Math.max(this.current, due.dueMs);
      due.cancelled = true;
      this.timers = this.timers.filter((t) => !t.cancelled);
      due.callback();
    }
    this.current = Math.max(this.current, targetMs);
  }
}
