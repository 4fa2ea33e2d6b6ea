// Writes the golden fixtures test/fixtures/<name>.json from the cases in test/fixture-cases.ts,
// with bytes produced by the OFFICIAL encoder (google-protobuf classes of apache-flink-statefun).
// Fixtures are kept forever: an existing file is never rewritten; when a case no longer renders
// to its file the script fails (add a case under a new name instead).
// Usage, after `npx tsc -b`:  node scripts/gen-fixtures.mjs [--check]
//   --check  writes nothing; fails when a fixture is missing, stale or has no case.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { URL } from "node:url";

const root = new URL("../", import.meta.url);
const built = new URL("dist/test/", root);
if (!existsSync(new URL("fixture-cases.js", built))) {
  process.stderr.write("dist/test/fixture-cases.js is missing: run `npx tsc -b` first\n");
  process.exit(1);
}
const { FIXTURE_CASES } = await import(new URL("fixture-cases.js", built).href);
const { FIXTURES_DIR, formatFixture, renderFixture } = await import(
  new URL("fixtures.js", built).href
);

const check = process.argv.includes("--check");
const problems = [];
const written = [];
const names = new Set();
mkdirSync(FIXTURES_DIR, { recursive: true });
for (const fixtureCase of FIXTURE_CASES) {
  if (names.has(fixtureCase.name)) problems.push(`${fixtureCase.name}: two cases have this name`);
  names.add(fixtureCase.name);
  const file = new URL(`${fixtureCase.name}.json`, FIXTURES_DIR);
  const text = formatFixture(renderFixture(fixtureCase));
  if (!existsSync(file)) {
    if (check) problems.push(`${fixtureCase.name}: no fixture file`);
    else {
      writeFileSync(file, text);
      written.push(fixtureCase.name);
    }
  } else if (readFileSync(file, "utf8") !== text) {
    problems.push(`${fixtureCase.name}: the case no longer renders to the stored file`);
  }
}
for (const entry of readdirSync(FIXTURES_DIR)) {
  if (entry.endsWith(".json") && !names.has(entry.slice(0, -".json".length))) {
    problems.push(`${entry}: no case has this name`);
  }
}
for (const name of written) process.stdout.write(`wrote test/fixtures/${name}.json\n`);
if (problems.length > 0) {
  process.stderr.write(`${problems.map((p) => `fixture ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`${FIXTURE_CASES.length} fixtures ${check ? "checked" : "up to date"}\n`);
