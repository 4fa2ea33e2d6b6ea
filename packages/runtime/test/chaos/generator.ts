/**
 * The chaos workload: a seeded PRNG, random command trees in the manner of StateFun's smoke test
 * generator (reference §6), and the tracker that computes what a failure-free run must produce —
 * the final count of every interpreter id and the set of egress tags. Everything here is a pure
 * function of the seed, so `--seed` reproduces a workload exactly.
 */
import type { Command } from "./commands.js";

/** A deterministic pseudo-random source (mulberry32). */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
}

/** Creates a {@link Random} from a 32-bit seed. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** A fresh random seed, for runs without `--seed`. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Shape of the generated trees. */
export interface WorkloadOptions {
  readonly seed: number;
  /** Top-level command lists, each one ingress request. */
  readonly commands: number;
  /** Interpreter ids are "0".."ids-1". */
  readonly ids: number;
  /** Nesting depth limit: lists are nested at most `maxDepth - 1` levels deep. Default 6. */
  readonly maxDepth?: number;
  /** Most commands in one list. Default 3. */
  readonly maxCommandsPerList?: number;
  /** Longest `after` delay, in ms. Default 300. */
  readonly maxDelayMs?: number;
}

/** One ingress request of the workload. */
export interface SourceCommand {
  /** Position in the workload; its idempotency key is `cmd-<index>`. */
  readonly index: number;
  /** The interpreter id the list goes to. */
  readonly target: string;
  readonly cmds: readonly Command[];
}

/** The workload and what a failure-free run yields. */
export interface Workload {
  readonly seed: number;
  readonly ids: number;
  readonly commands: readonly SourceCommand[];
  /** Final count per id ("0".."ids-1"; zero for ids never incremented). */
  readonly expectedCounts: ReadonlyMap<string, number>;
  /** Every egress tag that must appear on topic "out", exactly once. */
  readonly expectedTags: ReadonlySet<string>;
  /** Figures for the summary. */
  readonly stats: WorkloadStats;
}

/** Counts of generated commands, cancelled ones included. */
export interface WorkloadStats {
  inc: number;
  send: number;
  after: number;
  cancelled: number;
  egress: number;
  noop: number;
}

/** Relative weights of the command kinds (the official generator's style: normalised). */
const WEIGHTS = [
  ["inc", 0.4],
  ["send", 0.9],
  ["after", 0.15],
  ["cancelled-after", 0.1],
  ["egress", 0.05],
  ["noop", 0.2],
] as const;

type Kind = (typeof WEIGHTS)[number][0];
const NESTING = new Set<Kind>(["send", "after", "cancelled-after"]);

function pick(random: Random, leafOnly: boolean): Kind {
  const choices = WEIGHTS.filter(([kind]) => !leafOnly || !NESTING.has(kind));
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random.next() * total;
  for (const [kind, weight] of choices) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return "noop";
}

/** Generates a workload; pure in `options`. */
export function generateWorkload(options: WorkloadOptions): Workload {
  const maxDepth = options.maxDepth ?? 6;
  const perList = options.maxCommandsPerList ?? 3;
  const maxDelayMs = options.maxDelayMs ?? 300;
  const random = createRandom(options.seed);
  const counts = new Map<string, number>();
  for (let id = 0; id < options.ids; id++) counts.set(String(id), 0);
  const tags = new Set<string>();
  const stats: WorkloadStats = { inc: 0, send: 0, after: 0, cancelled: 0, egress: 0, noop: 0 };
  let tokens = 0;
  let sourceIndex = 0;
  let tagIndex = 0;
  const anyId = (): string => String(random.int(0, options.ids - 1));

  /** A list run by `self` at `depth`; `live` is false inside a cancelled subtree. */
  function list(self: string, depth: number, live: boolean): Command[] {
    const cmds: Command[] = [];
    const n = random.int(1, perList);
    for (let i = 0; i < n; i++) {
      const kind = pick(random, depth + 1 >= maxDepth);
      switch (kind) {
        case "inc":
          stats.inc++;
          if (live) counts.set(self, (counts.get(self) ?? 0) + 1);
          cmds.push({ op: "inc" });
          break;
        case "send": {
          stats.send++;
          const to = anyId();
          cmds.push({ op: "send", to, cmds: list(to, depth + 1, live) });
          break;
        }
        case "after": {
          stats.after++;
          const to = anyId();
          const delayMs = random.int(0, maxDelayMs);
          const withToken = random.next() < 0.5;
          const sub = list(to, depth + 1, live);
          cmds.push(
            withToken
              ? { op: "after", to, delayMs, cmds: sub, token: `t${tokens++}` }
              : { op: "after", to, delayMs, cmds: sub },
          );
          break;
        }
        case "cancelled-after": {
          stats.cancelled++;
          const to = anyId();
          const delayMs = random.int(0, maxDelayMs);
          const token = `t${tokens++}`;
          cmds.push({ op: "after", to, delayMs, cmds: list(to, depth + 1, false), token });
          cmds.push({ op: "cancel", token });
          break;
        }
        case "egress": {
          stats.egress++;
          const tag = `c${sourceIndex}-e${tagIndex++}`;
          if (live) tags.add(tag);
          cmds.push({ op: "egress", tag });
          break;
        }
        case "noop":
          stats.noop++;
          break;
      }
    }
    return cmds;
  }

  const commands: SourceCommand[] = [];
  for (; sourceIndex < options.commands; sourceIndex++) {
    tagIndex = 0;
    const target = anyId();
    commands.push({ index: sourceIndex, target, cmds: list(target, 0, true) });
  }
  return {
    seed: options.seed,
    ids: options.ids,
    commands,
    expectedCounts: counts,
    expectedTags: tags,
    stats,
  };
}
