/**
 * Helpers of the application tests: module files written to temporary directories (YAML and
 * embedded ES modules that import the real SDK), loaded with the real loader.
 */
import { join } from "node:path";
import type { ModuleDefinition } from "../../src/index.js";
import { loadModules } from "../../src/index.js";
import { tempDir } from "../config/helpers.js";

/** The file URL of the SDK, importable from a module in any directory. */
export const SDK_URL = import.meta.resolve("@statefun-ts/sdk");

/**
 * The source of an ES module whose default export is a registry binding `typenames` to functions
 * that publish their message's id to the playground egress topic `seen`.
 */
export function registryModule(...typenames: string[]): string {
  const binds = typenames
    .map(
      (typename) =>
        `.bind({ typename: ${JSON.stringify(typename)}, fn(context) {\n` +
        `  context.sendEgress(playgroundEgressMessage({ topic: "seen", payload: context.self.id }));\n` +
        `} })`,
    )
    .join("\n");
  return (
    `import { createStatefulFunctions, playgroundEgressMessage } from ${JSON.stringify(SDK_URL)};\n` +
    `export default createStatefulFunctions()${binds};\n`
  );
}

/** YAML of an embedded module document. */
export function embeddedDoc(module: string, exportName?: string): string {
  const lines = ["kind: io.statefun-ts.v1/embedded", "spec:", `  module: ${module}`];
  if (exportName !== undefined) lines.push(`  export: ${exportName}`);
  return lines.join("\n");
}

/** YAML of a playground ingress document on an ephemeral port. */
export const INGRESS_DOC = "kind: io.statefun.playground.v1/ingress\nspec: {port: 0}";

/** YAML of a playground egress document on an ephemeral port with topic `seen`. */
export const EGRESS_DOC = "kind: io.statefun.playground.v1/egress\nspec: {port: 0, topics: [seen]}";

/** Joins YAML documents into one stream. */
export function yamlStream(...documents: string[]): string {
  return documents.join("\n---\n");
}

/**
 * Writes `files` to a fresh temporary directory and loads its `module.yaml`.
 *
 * @returns the definition and the absolute path of `module.yaml` (the file name in messages).
 */
export async function loadApp(
  files: Readonly<Record<string, string>>,
): Promise<{ readonly definition: ModuleDefinition; readonly file: string; readonly dir: string }> {
  const dir = await tempDir(files);
  const file = join(dir, "module.yaml");
  return { definition: await loadModules([file]), file, dir };
}
