// Writes the golden fixtures of the checkpoint format, test/fixtures/checkpoint/<name>.sfc (the
// file, from the encoder) and <name>.json (what it decodes to), from the cases in
// test/checkpoint/format-fixture-cases.ts. Fixtures are kept forever: an existing file is never
// rewritten, and when a case no longer renders to its files the script fails (add a case under a
// new name instead). Files whose case was retired (e.g. an older format version) stay and are
// still decoded by the tests.
// Usage, after `npx tsc -b`:  node scripts/gen-checkpoint-fixtures.mjs [--check]
//   --check  writes nothing; fails when a case's files are missing or differ.
import { Buffer } from "node:buffer";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import process from "node:process";
import { URL } from "node:url";

const root = new URL("../", import.meta.url);
const built = new URL("dist/test/checkpoint/", root);
if (!existsSync(new URL("format-fixture-cases.js", built))) {
  process.stderr.write(
    "dist/test/checkpoint/format-fixture-cases.js is missing: run `npx tsc -b` first\n",
  );
  process.exit(1);
}
const { FIXTURE_CASES } = await import(new URL("format-fixture-cases.js", built).href);
const { FIXTURES_DIR, formatDescription } = await import(
  new URL("format-fixture-file.js", built).href
);
const { encodeCheckpointBytes } = await import(
  new URL("dist/src/checkpoint/format/index.js", root).href
);

const check = process.argv.includes("--check");
const problems = [];
const written = [];
const names = new Set();
mkdirSync(FIXTURES_DIR, { recursive: true });
for (const fixtureCase of FIXTURE_CASES) {
  if (names.has(fixtureCase.name)) problems.push(`${fixtureCase.name}: two cases have this name`);
  names.add(fixtureCase.name);
  const bytes = await encodeCheckpointBytes(
    fixtureCase.manifest,
    fixtureCase.keyGroups,
    fixtureCase.global,
  );
  const rendered = [
    [`${fixtureCase.name}.sfc`, Buffer.from(bytes)],
    [`${fixtureCase.name}.json`, Buffer.from(formatDescription(fixtureCase))],
  ];
  for (const [file, content] of rendered) {
    const url = new URL(file, FIXTURES_DIR);
    if (!existsSync(url)) {
      if (check) problems.push(`${file}: no fixture file`);
      else {
        writeFileSync(url, content);
        written.push(file);
      }
    } else if (!readFileSync(url).equals(content)) {
      problems.push(`${file}: the case no longer renders to the stored file`);
    }
  }
}
const retired = readdirSync(FIXTURES_DIR).filter(
  (entry) => entry.endsWith(".json") && !names.has(entry.slice(0, -".json".length)),
);
for (const file of written) process.stdout.write(`wrote test/fixtures/checkpoint/${file}\n`);
if (problems.length > 0) {
  process.stderr.write(`${problems.map((p) => `fixture ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(
  `${FIXTURE_CASES.length} checkpoint fixtures ${check ? "checked" : "up to date"}` +
    (retired.length > 0 ? ` (${retired.length} kept without a case)` : "") +
    "\n",
);
