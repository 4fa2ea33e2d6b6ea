/**
 * What the chaos run observed, checked against what the workload must produce: egress tags
 * (each expected tag exactly once, nothing else) and verification reports (a count above the
 * expected one is a duplicate, reported at once; the run passes once every id has reported
 * exactly its expected count). Also renders the diagnostics of a failure.
 *
 * The playground egress delivers at least once: a record read after the last checkpoint before a
 * crash is served again, with the same sequence number and payload. The ledger skips such a
 * repeat, as a real reader would; a repeat with another payload, or the same tag under a new
 * number, is a violation.
 */
import type { VerifyReport } from "./commands.js";
import type { Workload } from "./generator.js";
import type { TopicRecord } from "./http.js";

/** Most items of one kind listed in a failure report. */
const LIST_LIMIT = 30;

/** Observations of one run. */
export class Ledger {
  private readonly workload: Workload;
  /** Times each tag was received. */
  private readonly tags = new Map<string, number>();
  /** The last count each id reported, and the round of that report. */
  private readonly reported = new Map<string, VerifyReport>();
  /** Ids that reported exactly their expected count. */
  private readonly matched = new Set<string>();
  /** Egress records received on topic "out". */
  records = 0;
  /** Verification reports received. */
  reports = 0;
  /** Records served again after a crash (same topic and sequence number), skipped. */
  repeats = 0;
  /** The payload of every sequence number seen, per topic. */
  private readonly seen = new Map<string, Map<number, string>>();
  /** Reports received per round. */
  private readonly perRound = new Map<number, number>();

  /** Observes `workload`'s run. */
  constructor(workload: Workload) {
    this.workload = workload;
  }

  /**
   * Whether a record was seen before under its number (a repeat to skip), or a violation when
   * that number carried another payload.
   */
  private repeat(topic: string, record: TopicRecord): boolean | string {
    let payloads = this.seen.get(topic);
    if (payloads === undefined) this.seen.set(topic, (payloads = new Map<number, string>()));
    const before = payloads.get(record.seq);
    if (before === undefined) {
      payloads.set(record.seq, record.payload);
      return false;
    }
    if (before !== record.payload) {
      return (
        `topic ${topic}: sequence number ${record.seq} carried ${JSON.stringify(before)}, ` +
        `then ${JSON.stringify(record.payload)}`
      );
    }
    this.repeats++;
    return true;
  }

  /** Records a tag from topic "out"; returns a violation (a duplicate or unknown tag), if any. */
  recordTag(record: TopicRecord): string | undefined {
    const repeat = this.repeat("out", record);
    if (repeat !== false) return repeat === true ? undefined : repeat;
    const tag = record.payload;
    this.records++;
    const times = (this.tags.get(tag) ?? 0) + 1;
    this.tags.set(tag, times);
    if (!this.workload.expectedTags.has(tag)) {
      return `egress record ${JSON.stringify(tag)} was never expected (a cancelled or invented record)`;
    }
    if (times > 1) return `egress record ${JSON.stringify(tag)} received ${times} times`;
    return undefined;
  }

  /** Records a payload from topic "verify"; returns a violation (a count too high), if any. */
  recordReport(record: TopicRecord): string | undefined {
    const repeat = this.repeat("verify", record);
    if (repeat !== false) return repeat === true ? undefined : repeat;
    const payload = record.payload;
    this.reports++;
    let report: VerifyReport;
    try {
      report = JSON.parse(payload) as VerifyReport;
    } catch {
      return `verification record is not JSON: ${JSON.stringify(payload)}`;
    }
    this.perRound.set(report.round, (this.perRound.get(report.round) ?? 0) + 1);
    const expected = this.workload.expectedCounts.get(report.id);
    if (expected === undefined) return `verification record of an unknown id: ${payload}`;
    const previous = this.reported.get(report.id);
    if (previous === undefined || previous.round <= report.round) {
      this.reported.set(report.id, report);
    }
    if (report.count > expected) {
      return (
        `id ${report.id} reported count ${report.count} in round ${report.round}, expected ` +
        `${expected}: ${report.count - expected} message(s) applied more than once`
      );
    }
    if (report.count === expected) this.matched.add(report.id);
    return undefined;
  }

  /** Reports received for `round`. */
  reportsOf(round: number): number {
    return this.perRound.get(round) ?? 0;
  }

  /** Whether every id has reported its expected count. */
  allMatched(): boolean {
    return this.matched.size === this.workload.expectedCounts.size;
  }

  /** Ids that have matched. */
  matchedIds(): number {
    return this.matched.size;
  }

  /** Expected tags not received. */
  missingTags(): string[] {
    return [...this.workload.expectedTags].filter((tag) => !this.tags.has(tag));
  }

  /** Whether every expected tag has been received. */
  allTagsReceived(): boolean {
    return this.missingTags().length === 0;
  }

  /** Tags received more than once, or never expected, with how often. */
  wrongTags(): string[] {
    return [...this.tags]
      .filter(([tag, times]) => times > 1 || !this.workload.expectedTags.has(tag))
      .map(
        ([tag, times]) =>
          `${tag} ×${times}${this.workload.expectedTags.has(tag) ? "" : " (unexpected)"}`,
      );
  }

  /** Ids not matched yet: expected count and the last count reported (if any). */
  offIds(): string[] {
    const off: string[] = [];
    for (const [id, expected] of this.workload.expectedCounts) {
      if (this.matched.has(id)) continue;
      const last = this.reported.get(id);
      off.push(
        last === undefined
          ? `id ${id}: expected ${expected}, never reported`
          : `id ${id}: expected ${expected}, last reported ${last.count} in round ${last.round} ` +
              `(${last.count < expected ? `short by ${expected - last.count}` : `over by ${last.count - expected}`})`,
      );
    }
    return off;
  }
}

/** Renders a list, cut at {@link LIST_LIMIT} items. */
export function listOf(items: readonly string[]): string {
  if (items.length === 0) return "none";
  const shown = items.slice(0, LIST_LIMIT).map((item) => `    ${item}`);
  if (items.length > LIST_LIMIT) shown.push(`    ... and ${items.length - LIST_LIMIT} more`);
  return `${items.length}\n${shown.join("\n")}`;
}
