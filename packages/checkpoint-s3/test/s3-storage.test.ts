// The S3 checkpoint storage against a real S3-compatible server (s3rver on 127.0.0.1): the shared
// conformance suite, then what is specific to S3: multipart uploads read back byte-exact (the
// checksum pitfall of invariant 4), aborted uploads, paginated listings, prefixes and errors
// naming the bucket and the key; and a runtime's writer lease held on a prefix. Invariant numbers refer to src/s3-storage.ts.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import {
  chunksOf,
  patternBytes,
  rejectsWith,
  slowly,
  storageConformance,
} from "@statefun-ts/runtime/testing/storage-conformance";
import { isStatefunError } from "@statefun-ts/protocol";
import { LEASE_OBJECT, createRuntime } from "@statefun-ts/runtime";
import { createS3CheckpointStorage } from "../src/index.js";
import type { S3CheckpointStorageOptions } from "../src/index.js";
import { BUCKET, CREDENTIALS, startS3Server } from "./s3-server.js";
import type { S3TestServer } from "./s3-server.js";

const MIB = 1024 * 1024;
let server: S3TestServer | undefined;
let prefixes = 0;

before(async () => {
  server = await startS3Server();
});
after(async () => {
  await server?.close();
});

function options(extra: Partial<S3CheckpointStorageOptions> = {}): S3CheckpointStorageOptions {
  assert.ok(server !== undefined, "the s3rver test server did not start");
  prefixes += 1;
  return {
    bucket: BUCKET,
    prefix: `test-${prefixes}`,
    endpoint: server.endpoint,
    credentials: CREDENTIALS,
    ...extra,
  };
}

// s3rver rewrites an object's file in place on PUT; real S3 replaces objects atomically.
storageConformance("s3 (s3rver)", () => Promise.resolve(createS3CheckpointStorage(options())), {
  atomicOverwriteUnderReads: false,
});

/**
 * The lease object's content. A read that races the runtime's renewal can see s3rver's file half
 * rewritten, or have its response cut off (`aborted`) as s3rver replaces the file (see above): it
 * is read again, as a reader of real S3 would never need to.
 */
async function readLease(
  storage: ReturnType<typeof createS3CheckpointStorage>,
): Promise<{ pid: number; renewedAtMs: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const text = Buffer.from(await storage.read(LEASE_OBJECT)).toString("utf8");
      return JSON.parse(text) as { pid: number; renewedAtMs: number };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Records the SDK commands sent while `action` runs (a spy on the real client's `send`). */
async function commandsSentDuring(action: () => Promise<void>): Promise<string[]> {
  const sent: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with apply(this)
  const original = S3Client.prototype.send;
  S3Client.prototype.send = function (this: S3Client, ...args: Parameters<S3Client["send"]>) {
    sent.push(args[0].constructor.name);
    return original.apply(this, args);
  } as typeof original;
  try {
    await action();
  } finally {
    S3Client.prototype.send = original;
  }
  return sent;
}

describe("s3 checkpoint storage", () => {
  it("uploads 12 MiB in parts and reads it back byte-exact (invariants 2 and 4)", async () => {
    const storage = createS3CheckpointStorage(options({ partSizeBytes: 5 * MIB }));
    const bytes = patternBytes(12 * MIB, 9);
    const sent = await commandsSentDuring(() =>
      storage.write("chk/big", slowly(chunksOf(bytes, 65_536))),
    );
    assert.equal(sent.filter((name) => name === "UploadPartCommand").length, 3);
    assert.ok(sent.includes("CompleteMultipartUploadCommand"), String(sent));
    assert.equal(await storage.size("chk/big"), bytes.length);
    assert.equal(Buffer.compare(await storage.read("chk/big"), bytes), 0);
    const range = { offset: 5 * MIB - 10, length: 20 };
    assert.deepEqual(await storage.read("chk/big", range), bytes.slice(5 * MIB - 10, 5 * MIB + 10));
    await storage.close();
  });

  it("puts a small streamed object with one request, byte-exact (invariant 4)", async () => {
    const storage = createS3CheckpointStorage(options());
    const bytes = patternBytes(65_536, 4);
    const sent = await commandsSentDuring(() =>
      storage.write("small", slowly(chunksOf(bytes, 4096))),
    );
    assert.deepEqual(sent, ["PutObjectCommand"]);
    assert.equal(await storage.size("small"), 65_536);
    assert.deepEqual(await storage.read("small"), bytes);
    await storage.close();
  });

  it("aborts the multipart upload when the chunk source throws mid-upload (invariant 3)", async () => {
    const storage = createS3CheckpointStorage(options({ partSizeBytes: 5 * MIB }));
    await storage.write("chk/kept", [patternBytes(1000, 1)]);
    const boom = new Error("the checkpoint writer failed");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* slowly(chunksOf(patternBytes(11 * MIB, 2), MIB));
      throw boom;
    }
    let uploaded: string[] = [];
    const sent = await commandsSentDuring(async () => {
      await assert.rejects(storage.write("chk/lost", failing()), (error) => error === boom);
      uploaded = await storage.list("chk/");
    });
    assert.ok(sent.includes("CreateMultipartUploadCommand"), String(sent));
    assert.ok(sent.includes("AbortMultipartUploadCommand"), String(sent));
    assert.ok(!sent.includes("CompleteMultipartUploadCommand"), String(sent));
    assert.deepEqual(uploaded, ["chk/kept"]);
    await rejectsWith(storage.read("chk/lost"), "storage-failed");
    await storage.close();
  });

  it("lists page by page (invariant 1 for listings)", async () => {
    const storage = createS3CheckpointStorage(options({ listPageSize: 2 }));
    const names = Array.from({ length: 7 }, (_, i) => `chk/${String(i).padStart(3, "0")}`);
    for (const name of names) await storage.write(name, [patternBytes(3, 1)]);
    const sent = await commandsSentDuring(async () => {
      assert.deepEqual(await storage.list("chk/"), names);
    });
    assert.deepEqual(sent, Array(4).fill("ListObjectsV2Command"));
    await storage.close();
  });

  it("stores objects under the prefix, isolated from other prefixes", async () => {
    const storage = createS3CheckpointStorage(options({ prefix: "apps/one/" }));
    const other = createS3CheckpointStorage(options({ prefix: "apps/one-other" }));
    assert.equal(storage.location, `s3://${BUCKET}/apps/one/`);
    await storage.write("chk-1", [patternBytes(3)]);
    await other.write("chk-2", [patternBytes(3)]);
    assert.deepEqual(await storage.list(""), ["chk-1"]);
    assert.deepEqual(await other.list(""), ["chk-2"]);
    const raw = new S3Client({
      region: "us-east-1",
      endpoint: server!.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
    });
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "apps/" }));
    assert.deepEqual(listed.Contents?.map((object) => object.Key).sort(), [
      "apps/one-other/chk-2",
      "apps/one/chk-1",
    ]);
    raw.destroy();
    await Promise.all([storage.close(), other.close()]);
  });

  it("fails with storage-failed naming the bucket, the key and the operation", async () => {
    const storage = createS3CheckpointStorage(options({ prefix: "errors" }));
    const read = await rejectsWith(storage.read("chk/missing"), "storage-failed");
    assert.equal(
      read.message,
      `s3 checkpoint storage s3://${BUCKET}/errors/: read chk/missing failed ` +
        `(bucket ${BUCKET}, key errors/chk/missing): no such object`,
    );
    assert.equal((read.cause as Error).name, "NoSuchKey");
    assert.deepEqual(
      { ...read.details, httpStatus: undefined },
      {
        operation: "read",
        name: "chk/missing",
        bucket: BUCKET,
        key: "errors/chk/missing",
        httpStatus: undefined,
      },
    );
    const size = await rejectsWith(storage.size("chk/missing"), "storage-failed");
    assert.match(
      size.message,
      /size chk\/missing failed \(bucket checkpoints, key errors\/chk\/missing\): no such object$/,
    );
    await storage.close();
  });

  it("names a missing bucket", async () => {
    const storage = createS3CheckpointStorage({ ...options(), bucket: "no-such-bucket" });
    const write = await rejectsWith(storage.write("x", [patternBytes(1)]), "storage-failed");
    assert.match(
      write.message,
      /write x failed \(bucket no-such-bucket, key test-\d+\/x\): no such bucket$/,
    );
    const list = await rejectsWith(storage.list(""), "storage-failed");
    assert.match(
      list.message,
      /list "" failed \(bucket no-such-bucket, key test-\d+\/\): no such bucket$/,
    );
    await storage.close();
  });

  it("stops an endless chunk source when a multipart upload fails", async () => {
    const storage = createS3CheckpointStorage({
      ...options({ partSizeBytes: 5 * MIB }),
      bucket: "no-such-bucket",
    });
    let stopped = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; ; i++) yield await Promise.resolve(patternBytes(MIB, i));
      } finally {
        stopped = true;
      }
    }
    const error = await rejectsWith(storage.write("big", endless()), "storage-failed");
    assert.match(error.message, /write big failed \(bucket no-such-bucket, key test-\d+\/big\)/);
    assert.equal(stopped, true);
    await storage.close();
  });

  it("fails with storage-failed when the server cannot be reached", async () => {
    const storage = createS3CheckpointStorage({ ...options(), endpoint: "http://127.0.0.1:1" });
    const error = await rejectsWith(storage.read("x"), "storage-failed");
    assert.match(
      error.message,
      /read x failed \(bucket checkpoints, key test-\d+\/x\): .*ECONNREFUSED/,
    );
    await storage.close();
  });

  it("fails with storage-failed, instead of waiting for ever, when the server stops answering", async () => {
    // A real server that accepts connections and reads requests, but never answers.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    const storage = createS3CheckpointStorage({
      ...options(),
      endpoint: `http://127.0.0.1:${port}`,
      timeoutMs: 200,
    });
    try {
      const started = performance.now();
      const read = await rejectsWith(storage.read("x"), "storage-failed");
      assert.match(read.message, /read x failed .*timeout/iu);
      const write = await rejectsWith(storage.write("y", [new Uint8Array(10)]), "storage-failed");
      assert.match(write.message, /write y failed .*timeout/iu);
      // The SDK's retries included: far from the default of minutes.
      assert.ok(performance.now() - started < 20_000);
    } finally {
      await storage.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("holds the runtime's writer lease on the prefix: a live foreign lease refuses the start", async () => {
    const storage = createS3CheckpointStorage(options());
    const foreign = {
      owner: "another-runtime",
      host: "elsewhere",
      pid: 42,
      since: new Date().toISOString(),
      renewedAtMs: Date.now(),
      ttlMs: 30_000,
    };
    await storage.write(LEASE_OBJECT, [Buffer.from(JSON.stringify(foreign))]);
    const refused = createRuntime({ checkpointing: { storage } });
    await assert.rejects(refused.start(), (error: unknown) => {
      assert.ok(isStatefunError(error, "invalid-config"), String(error));
      assert.match(
        error.message,
        new RegExp(
          `^the checkpoint storage ${storage.location} is in use by process 42 on host "elsewhere"`,
          "u",
        ),
      );
      return true;
    });
    // Expired: taken over, renewed while running, deleted by a clean stop.
    await storage.write(LEASE_OBJECT, [
      Buffer.from(JSON.stringify({ ...foreign, renewedAtMs: Date.now() - 60_000 })),
    ]);
    const runtime = createRuntime({ checkpointing: { storage, leaseTtlMs: 3000 } });
    await runtime.start();
    try {
      const held = await readLease(storage);
      assert.equal(held.pid, process.pid);
      // Renewed every third of its time to live; a stalled machine may take longer to show it.
      let renewed = held;
      const deadline = Date.now() + 10_000;
      while (renewed.renewedAtMs <= held.renewedAtMs && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        renewed = await readLease(storage);
      }
      assert.ok(renewed.renewedAtMs > held.renewedAtMs, "renewed on the server");
      await runtime.stop();
      assert.deepEqual(await storage.list(LEASE_OBJECT), []);
    } finally {
      // A failure above would leave the lease renewing, and the file's process running until
      // the runner's timeout.
      await runtime.stop();
      await storage.close();
    }
  });
});
