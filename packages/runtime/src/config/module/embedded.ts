/**
 * Binder of `io.statefun-ts.v1/embedded`, our own kind: a module of in-process functions, given
 * as an ES module file. Only the path is resolved and checked here; importing it is the
 * runtime's job.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { EmbeddedBinder } from "./binder.js";
import { nonEmptyString } from "./fields.js";

/** The kind of embedded function modules. */
export const EMBEDDED_MODULE_KIND = "io.statefun-ts.v1/embedded";

const specSchema = z.object({
  module: nonEmptyString(
    "the path of an ES module file (relative to the module.yaml directory, absolute, or file://)",
  ),
  export: nonEmptyString("an export name").optional(),
});

/**
 * Binder of `io.statefun-ts.v1/embedded`: `spec.module` (required path of an existing file,
 * relative to the YAML file's directory, absolute, or a `file://` URL) and `spec.export`
 * (optional, default `"default"`).
 */
export const embeddedModuleBinder: EmbeddedBinder = {
  kind: EMBEDDED_MODULE_KIND,
  category: "embedded",
  parse(_spec, at) {
    const parsed = at.validate(specSchema);
    if (parsed === undefined) return undefined;
    const modulePath = resolveModulePath(parsed.module, at.baseDir);
    if (modulePath === undefined) {
      at.problem(["module"], "a file path, or a file:// URL of a local file");
      return undefined;
    }
    if (!at.fileExists(modulePath)) {
      at.problem(
        ["module"],
        "the path of an existing ES module file",
        `${JSON.stringify(parsed.module)} (no file at ${modulePath})`,
      );
      return undefined;
    }
    return {
      kind: EMBEDDED_MODULE_KIND,
      source: at.source,
      modulePath,
      exportName: parsed.export ?? "default",
    };
  },
};

/** Resolves a path or `file://` URL against `baseDir`; `undefined` for an unusable URL. */
function resolveModulePath(text: string, baseDir: string): string | undefined {
  if (!text.startsWith("file:")) return isAbsolute(text) ? text : resolve(baseDir, text);
  try {
    return fileURLToPath(text);
  } catch {
    return undefined;
  }
}
