/**
 * Parses `s3://bucket/prefix?endpoint=...&region=...&forcePathStyle=...` URLs, the form in which
 * S3 checkpoint storage is named on the command line and in runtime options, into options.
 */
import { StatefunError } from "@statefun-ts/protocol";
import { resolveS3CheckpointStorageOptions } from "./options.js";
import type { S3CheckpointStorageOptions } from "./options.js";

/** The query parameters an S3 URL may carry. */
export const S3_URL_PARAMETERS = ["endpoint", "region", "forcePathStyle", "timeoutMs"] as const;

/**
 * Parses an S3 URL into storage options and validates them. `s3://bucket` stores objects at the
 * top of the bucket; `s3://bucket/a/b` under the key prefix `a/b/`. The query may set
 * `endpoint` (an http(s) URL), `region`, `forcePathStyle` (`true` or `false`) and `timeoutMs`
 * (see {@link S3CheckpointStorageOptions.timeoutMs}). Credentials are
 * not accepted in the URL: they come from the AWS SDK's default chain (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, shared files, roles).
 *
 * @throws StatefunError `invalid-config` naming the URL (without secrets) and what is wrong.
 */
export function parseS3Url(text: string): S3CheckpointStorageOptions {
  const shown = typeof text === "string" ? text.replace(/\/\/[^/@]*@/, "//***@") : String(text);
  const fail = (problem: string, cause?: unknown) =>
    new StatefunError("invalid-config", `s3 checkpoint storage URL ${shown}: ${problem}`, {
      cause,
      details: { url: shown, problem },
    });
  if (typeof text !== "string" || !URL.canParse(text)) {
    throw fail("expected a URL of the form s3://bucket/prefix?endpoint=...");
  }
  const url = new URL(text);
  if (url.protocol !== "s3:") throw fail(`expected the scheme s3:, found ${url.protocol}`);
  if (url.username !== "" || url.password !== "") {
    throw fail(
      "credentials in the URL are not accepted; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
  }
  if (url.port !== "")
    throw fail(`expected no port after the bucket (use ?endpoint=), found ${url.port}`);
  if (url.hash !== "") throw fail(`expected no fragment, found ${url.hash}`);
  if (url.hostname === "") throw fail("expected a bucket name after s3://");

  let prefix: string;
  try {
    prefix = decodeURIComponent(url.pathname.replace(/^\//, ""));
  } catch (error) {
    throw fail(`the path ${url.pathname} is not valid percent-encoding`, error);
  }
  const options: {
    bucket: string;
    prefix?: string;
    endpoint?: string;
    region?: string;
    forcePathStyle?: boolean;
    timeoutMs?: number;
  } = { bucket: url.hostname };
  if (prefix !== "") options.prefix = prefix;

  const seen = new Set<string>();
  for (const [name, value] of url.searchParams) {
    if (seen.has(name)) throw fail(`parameter ${name} is given twice`);
    seen.add(name);
    switch (name) {
      case "endpoint":
        options.endpoint = value;
        break;
      case "region":
        options.region = value;
        break;
      case "forcePathStyle":
        if (value !== "true" && value !== "false") {
          throw fail(
            `parameter forcePathStyle: expected true or false, found ${JSON.stringify(value)}`,
          );
        }
        options.forcePathStyle = value === "true";
        break;
      case "timeoutMs":
        if (!/^\d{1,8}$/u.test(value)) {
          throw fail(
            `parameter timeoutMs: expected an integer (ms), found ${JSON.stringify(value)}`,
          );
        }
        options.timeoutMs = Number(value);
        break;
      default:
        throw fail(
          `unknown parameter ${JSON.stringify(name)}; expected one of ${S3_URL_PARAMETERS.join(", ")}`,
        );
    }
  }
  try {
    resolveS3CheckpointStorageOptions(options);
  } catch (error) {
    if (error instanceof StatefunError) throw fail(error.message, error);
    throw error;
  }
  return options;
}
