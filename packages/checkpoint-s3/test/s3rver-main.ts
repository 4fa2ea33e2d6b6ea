/**
 * The s3rver process of the tests: `node --openssl-legacy-provider s3rver-main.js <directory>
 * <bucket>` serves S3 on 127.0.0.1 with an ephemeral port, creates the bucket, prints
 * `{"port":N}` on one line, and stops when its standard input closes (so it never outlives the
 * test). Without arguments it does nothing (the test runner loads every file of this folder).
 */
import S3rver from "s3rver";

const [directory, bucket] = process.argv.slice(2);
if (directory !== undefined && bucket !== undefined) {
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.stdin.on("end", () => {
    void server.close().finally(() => process.exit(0));
  });
  process.stdin.resume();
}
