/**
 * Storage and savepoint locations as users write them: parsing of paths and `s3://` URLs, the
 * dynamic import of `@statefun-ts/checkpoint-s3` (its absence is a clear invalid-config error),
 * and the read-only storage of one savepoint file on the real file system.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isStatefunError } from "@statefun-ts/protocol";
import { createSavepointFileReader } from "../../src/admin/savepoint-files.js";
import {
  openCheckpointStorage,
  parseAbsoluteObjectLocation,
  parseObjectLocation,
  parseStorageLocation,
} from "../../src/admin/storage-location.js";
import { fixtureDir } from "./checkpoint-fixture.js";

describe("locations", () => {
  it("parses directories, file:// URLs and s3:// URLs as storage locations", () => {
    assert.deepEqual(parseStorageLocation("data", "/srv"), {
      kind: "local",
      directory: "/srv/data",
    });
    assert.deepEqual(parseStorageLocation("file:///var/x", "/srv"), {
      kind: "local",
      directory: "/var/x",
    });
    assert.deepEqual(parseStorageLocation("S3://b/p?region=x", "/srv"), {
      kind: "s3",
      url: "S3://b/p?region=x",
    });
    assert.equal(parseStorageLocation("https://example.com/x", "/srv"), undefined);
    assert.equal(parseStorageLocation("", "/srv"), undefined);
  });

  it("splits object locations into storage and name", () => {
    assert.deepEqual(parseObjectLocation("sp/one.sfc", "/srv"), {
      storage: { kind: "local", directory: "/srv/sp" },
      name: "one.sfc",
      path: "/srv/sp/one.sfc",
    });
    assert.deepEqual(parseObjectLocation("s3://bucket/one%20two.sfc?endpoint=http://h:1", "/"), {
      storage: { kind: "s3", url: "s3://bucket?endpoint=http://h:1" },
      name: "one two.sfc",
      path: "s3://bucket/one%20two.sfc?endpoint=http://h:1",
    });
    assert.equal(
      parseObjectLocation("s3://bucket/", "/"),
      "an s3://bucket/prefix/name URL with an object name after the prefix",
    );
    assert.equal(parseAbsoluteObjectLocation("rel.sfc"), "an absolute file path or an s3:// URL");
    assert.equal(typeof parseAbsoluteObjectLocation("/abs/x.sfc"), "object");
  });
});

describe("openCheckpointStorage", () => {
  it("fails with invalid-config telling to install @statefun-ts/checkpoint-s3 when it cannot be imported", async () => {
    const missing = Object.assign(new Error("Cannot find package '@statefun-ts/checkpoint-s3'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    await assert.rejects(
      openCheckpointStorage(
        { kind: "s3", url: "s3://bucket/p" },
        { importer: () => Promise.reject(missing) },
      ),
      (error: unknown) => {
        assert.ok(isStatefunError(error, "invalid-config"));
        assert.equal(
          error.message,
          "checkpoint storage s3://bucket/p: s3:// locations need the package " +
            "@statefun-ts/checkpoint-s3, which cannot be imported (Cannot find package " +
            "'@statefun-ts/checkpoint-s3'); install it next to @statefun-ts/runtime: " +
            "npm install @statefun-ts/checkpoint-s3",
        );
        assert.equal(error.cause, missing);
        return true;
      },
    );
    await assert.rejects(
      openCheckpointStorage({ kind: "s3", url: "s3://b" }, { importer: () => Promise.resolve({}) }),
      /does not export parseS3Url and createS3CheckpointStorage/,
    );
  });

  it("imports the installed package for s3:// URLs, which validates them", async () => {
    await assert.rejects(
      openCheckpointStorage({ kind: "s3", url: "s3://bucket/p?colour=blue" }),
      (error: unknown) => isStatefunError(error, "invalid-config") && /colour/.test(error.message),
    );
  });

  it("creates a missing local directory", async () => {
    const directory = join(await fixtureDir(), "a", "b");
    const storage = await openCheckpointStorage({ kind: "local", directory });
    assert.equal(storage.location, directory);
    assert.ok(existsSync(directory));
    await storage.close();
  });
});

describe("createSavepointFileReader", () => {
  it("reads one file, whole or by range, and refuses to write or delete", async () => {
    const dir = await fixtureDir();
    await writeFile(join(dir, "sp.sfc"), "0123456789");
    const reader = createSavepointFileReader(dir, "sp.sfc");
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    assert.equal(text(await reader.read("sp.sfc")), "0123456789");
    assert.equal(text(await reader.read("sp.sfc", { offset: 3, length: 4 })), "3456");
    assert.equal(await reader.size("sp.sfc"), 10);
    assert.deepEqual(await reader.list(""), ["sp.sfc"]);
    assert.deepEqual(await reader.list("other"), []);
    await assert.rejects(reader.read("sp.sfc", { offset: 8, length: 4 }), {
      code: "invalid-argument",
    });
    await assert.rejects(reader.read("other.sfc"), { code: "storage-failed" });
    await assert.rejects(reader.write("sp.sfc", []), { code: "illegal-state" });
    await assert.rejects(reader.delete("sp.sfc"), { code: "illegal-state" });
    const gone = createSavepointFileReader(dir, "gone.sfc");
    await assert.rejects(gone.size("gone.sfc"), /savepoint file .*gone\.sfc: size failed/);
  });
});
