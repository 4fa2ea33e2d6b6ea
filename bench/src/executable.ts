/**
 * The `statefun` executable as the bench runs it: its path, and the Node.js options its shebang
 * line gives (read from the file, so that scenarios measure the flags users get).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Path of the `statefun` executable (packages/runtime/bin/statefun.js). */
export const STATEFUN_BIN = fileURLToPath(
  // From bench/dist/src/, where this module runs.
  new URL("../../../packages/runtime/bin/statefun.js", import.meta.url),
);

/** The Node.js options of the executable's shebang (`#!/usr/bin/env -S node <options>`). */
export function executableNodeArgs(): string[] {
  const shebang = readFileSync(STATEFUN_BIN, "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\/usr\/bin\/env -S node(?<options>(?: --[^\s]+)*)\s*$/u.exec(shebang);
  if (match?.groups === undefined) {
    throw new Error(`${STATEFUN_BIN}: unexpected shebang line ${JSON.stringify(shebang)}`);
  }
  return (match.groups.options ?? "").split(" ").filter((option) => option !== "");
}
