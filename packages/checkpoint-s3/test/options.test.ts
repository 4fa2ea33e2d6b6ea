// Options of the S3 checkpoint storage: defaults, validation with clear invalid-config errors
// (never echoing secrets), and s3:// URLs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatefunError } from "@statefun-ts/protocol";
import {
  DEFAULT_PART_SIZE_BYTES,
  parseS3Url,
  resolveS3CheckpointStorageOptions,
} from "../src/index.js";
import type { S3CheckpointStorageOptions } from "../src/index.js";

function configError(action: () => unknown): StatefunError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof StatefunError, `expected a StatefunError, got ${String(error)}`);
    assert.equal(error.code, "invalid-config");
    return error;
  }
  assert.fail("expected an invalid-config error");
}

describe("s3 checkpoint storage options", () => {
  it("fills in defaults", () => {
    assert.deepEqual(resolveS3CheckpointStorageOptions({ bucket: "my-bucket" }, {}), {
      bucket: "my-bucket",
      prefix: "",
      endpoint: undefined,
      region: "us-east-1",
      forcePathStyle: false,
      credentials: undefined,
      partSizeBytes: DEFAULT_PART_SIZE_BYTES,
      listPageSize: 1000,
      timeoutMs: 120_000,
    });
  });

  it("takes the region from AWS_REGION, path style from an endpoint, and normalises the prefix", () => {
    const options: S3CheckpointStorageOptions = {
      bucket: "b.example",
      prefix: "apps/one",
      endpoint: "http://127.0.0.1:4569",
    };
    const resolved = resolveS3CheckpointStorageOptions(options, { AWS_REGION: "eu-west-3" });
    assert.equal(resolved.region, "eu-west-3");
    assert.equal(resolved.forcePathStyle, true);
    assert.equal(resolved.prefix, "apps/one/");
    assert.equal(resolveS3CheckpointStorageOptions({ ...options, prefix: "x/" }, {}).prefix, "x/");
    const explicit = { ...options, region: "ap-south-1", forcePathStyle: false };
    assert.equal(
      resolveS3CheckpointStorageOptions(explicit, { AWS_REGION: "x" }).region,
      "ap-south-1",
    );
    assert.deepEqual(options, {
      bucket: "b.example",
      prefix: "apps/one",
      endpoint: "http://127.0.0.1:4569",
    });
  });

  it("rejects invalid options, naming the option and what was expected", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /option bucket: expected a bucket name/],
      [{ bucket: "Upper_Case" }, /option bucket: expected .* found "Upper_Case"/],
      [{ bucket: "ok-bucket", prefix: "/leading" }, /option prefix: expected a key prefix/],
      [{ bucket: "ok-bucket", prefix: "a//b" }, /option prefix/],
      [{ bucket: "ok-bucket", endpoint: "ftp://host" }, /option endpoint: expected an http/],
      [{ bucket: "ok-bucket", endpoint: "not a url" }, /option endpoint/],
      [{ bucket: "ok-bucket", region: "" }, /option region/],
      [
        { bucket: "ok-bucket", forcePathStyle: "yes" },
        /option forcePathStyle: expected true or false/,
      ],
      [
        { bucket: "ok-bucket", partSizeBytes: 1024 },
        /option partSizeBytes: expected an integer from 5242880/,
      ],
      [
        { bucket: "ok-bucket", listPageSize: 0 },
        /option listPageSize: expected an integer from 1 to 1000/,
      ],
      [
        { bucket: "ok-bucket", timeoutMs: 0 },
        /option timeoutMs: expected an integer from 1 to 86400000/,
      ],
      [{ bucket: "ok-bucket", credentials: { accessKeyId: "id" } }, /credentials.secretAccessKey/],
    ];
    for (const [options, message] of cases) {
      const error = configError(() =>
        resolveS3CheckpointStorageOptions(options as unknown as S3CheckpointStorageOptions, {}),
      );
      assert.match(error.message, /^s3 checkpoint storage option /);
      assert.match(error.message, message);
    }
  });

  it("never echoes secrets in errors", () => {
    const credentials = { accessKeyId: "AKIDSECRET", secretAccessKey: 42 };
    const error = configError(() =>
      resolveS3CheckpointStorageOptions({ bucket: "ok-bucket", credentials } as never, {}),
    );
    assert.doesNotMatch(error.message, /AKIDSECRET/);
    const endpoint = configError(() =>
      resolveS3CheckpointStorageOptions({ bucket: "ok-bucket", endpoint: "http://u:pw@host" }, {}),
    );
    assert.doesNotMatch(endpoint.message, /pw/);
  });
});

describe("parseS3Url", () => {
  it("parses bucket, prefix and parameters", () => {
    assert.deepEqual(
      parseS3Url(
        "s3://my-bucket/apps/one?endpoint=http://127.0.0.1:4569&region=eu-west-1&forcePathStyle=true",
      ),
      {
        bucket: "my-bucket",
        prefix: "apps/one",
        endpoint: "http://127.0.0.1:4569",
        region: "eu-west-1",
        forcePathStyle: true,
      },
    );
    assert.deepEqual(parseS3Url("s3://my-bucket?timeoutMs=30000"), {
      bucket: "my-bucket",
      timeoutMs: 30_000,
    });
    assert.deepEqual(parseS3Url("s3://my-bucket"), { bucket: "my-bucket" });
    assert.deepEqual(parseS3Url("s3://my-bucket/"), { bucket: "my-bucket" });
    assert.deepEqual(parseS3Url("s3://my-bucket/a%20b/?forcePathStyle=false"), {
      bucket: "my-bucket",
      prefix: "a b/",
      forcePathStyle: false,
    });
  });

  it("rejects invalid URLs with invalid-config naming the URL and the problem", () => {
    const cases: [string, RegExp][] = [
      ["not a url", /expected a URL of the form s3:\/\/bucket/],
      ["http://bucket/x", /expected the scheme s3:, found http:/],
      ["s3://key:secret@bucket/x", /credentials in the URL are not accepted/],
      ["s3://bucket:9000/x", /expected no port/],
      ["s3://bucket/x#frag", /expected no fragment/],
      ["s3://bucket/x?forcePathStyle=yes", /forcePathStyle: expected true or false, found "yes"/],
      ["s3://bucket/x?region=a&region=b", /parameter region is given twice/],
      ["s3://bucket/x?timeoutMs=1m", /timeoutMs: expected an integer \(ms\), found "1m"/],
      ["s3://bucket/x?timeoutMs=0", /option timeoutMs: expected an integer from 1/],
      ["s3://bucket/x?secret=1", /unknown parameter "secret"; expected one of endpoint, region/],
      ["s3://bucket/x?endpoint=ftp://h", /option endpoint: expected an http/],
      ["s3://Bad_Bucket/x", /option bucket/],
      ["s3://bucket/a//b", /option prefix/],
    ];
    for (const [url, message] of cases) {
      const error = configError(() => parseS3Url(url));
      assert.match(error.message, /^s3 checkpoint storage URL /);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /secret@/);
    }
  });
});
