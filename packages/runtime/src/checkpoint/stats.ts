/**
 * What the checkpoint coordinator reports: its running figures (read by the admin API and at
 * each metrics scrape) and each attempt as its outcome becomes known (observed by metrics).
 */

/** Figures about checkpointing, for metrics and the admin API. */
export interface CheckpointStats {
  completed: number;
  failed: number;
  lastCompletedId: number;
  /** When the last checkpoint completed, ms since the epoch (0 before the first). */
  lastCompletedAtMs: number;
  /** How long the last cut stopped processing, in ms. */
  lastPauseMs: number;
  /** The longest cut pause so far, in ms. */
  maxPauseMs: number;
  /** How long the last checkpoint took from cut to durable file, in ms. */
  lastDurationMs: number;
  /** Size of the last checkpoint file, in bytes. */
  lastBytes: number;
  /** Files the next checkpoint builds on. */
  chainLength: number;
  /** Full bases written by compaction. */
  compactions: number;
  /** Incremental merges of chain files. */
  merges: number;
  /** Checkpoints not written because nothing changed since the last complete one (it covers them). */
  skipped: number;
}

/** What became of one checkpoint attempt. */
export type CheckpointOutcome = "completed" | "failed" | "skipped";

/** One checkpoint attempt, as `CheckpointCoordinator.onAttempt` reports it. */
export interface CheckpointAttempt {
  readonly id: number;
  /**
   * `completed`: durably written; `failed`: not written (its changes go into the next one);
   * `skipped`: nothing changed since the last complete checkpoint, which covers it.
   */
  readonly outcome: CheckpointOutcome;
  /** From the start of the cut to the outcome, in seconds. */
  readonly seconds: number;
  /** How long the cut stopped processing, in seconds. */
  readonly pauseSeconds: number;
  /** Bytes of the file written (0 unless completed). */
  readonly bytes: number;
  /**
   * Durability waiters the attempt resolved (0 when it failed): the acknowledgements that group
   * commit gathered into it.
   */
  readonly waiters: number;
}
