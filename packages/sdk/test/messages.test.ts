/**
 * Incoming messages and egress helpers: type checks on `as`, built-in accessors, and the exact
 * payloads of Kafka, Kinesis and playground egress records.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  StatefunError,
  TypedValue,
  addressOf,
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  intType,
  longType,
  stringType,
} from "@statefun-ts/protocol";
import {
  jsonType,
  kafkaEgressMessage,
  kinesisEgressMessage,
  playgroundEgressMessage,
} from "../src/index.js";
import { IncomingMessage } from "../src/message.js";

const target = addressOf("test/fn", "me");

test("Message.as checks the typename and decodes", () => {
  const message = new IncomingMessage(target, TypedValue.of(intType, 42));
  assert.equal(message.isInt(), true);
  assert.equal(message.isString(), false);
  assert.equal(message.asInt(), 42);
  assert.throws(
    () => message.asString(),
    (e: unknown) => e instanceof StatefunError && e.code === "type-mismatch",
  );
  const long = new IncomingMessage(
    target,
    TypedValue.fromBytes(longType.typename, longType.serialize(2n ** 60n)),
  );
  assert.equal(long.asLong(), 2n ** 60n);
});

test("a message without a value reports it and refuses to decode", () => {
  const message = new IncomingMessage(target, TypedValue.absent("test/Thing"));
  assert.equal(message.hasValue, false);
  assert.throws(() => message.as(jsonType("test/Thing")), /has no value/);
});

test("JSON types round-trip and report malformed bytes", () => {
  const type = jsonType<{ a: number[] }>("test/J");
  assert.deepEqual(type.deserialize(type.serialize({ a: [1, 2] })), { a: [1, 2] });
  assert.throws(
    () => type.deserialize(new TextEncoder().encode("{nope")),
    (e: unknown) => e instanceof StatefunError && e.code === "protocol-error",
  );
});

test("Kafka egress records carry topic, key and value bytes", () => {
  const record = kafkaEgressMessage({
    typename: "com.example/kafka",
    topic: "out",
    key: "k",
    value: "hello",
  });
  assert.equal(record.egress, "com.example/kafka");
  assert.equal(record.value.typename, KAFKA_PRODUCER_RECORD_TYPENAME);
  const decoded = decodeKafkaProducerRecord(record.value.bytes);
  assert.equal(decoded.topic, "out");
  assert.equal(decoded.key, "k");
  assert.equal(Buffer.from(decoded.valueBytes).toString(), "hello");
  const intRecord = decodeKafkaProducerRecord(
    kafkaEgressMessage({ typename: "a/b", topic: "t", value: 258 }).value.bytes,
  );
  assert.deepEqual(
    [...intRecord.valueBytes],
    [0, 0, 1, 2],
    "int32 big-endian like the official SDK",
  );
  assert.equal(intRecord.key, "");
  const typed = decodeKafkaProducerRecord(
    kafkaEgressMessage({ typename: "a/b", topic: "t", value: "x", valueType: stringType }).value
      .bytes,
  );
  assert.deepEqual([...typed.valueBytes], [0x0a, 0x01, 0x78]);
});

test("Kinesis egress records carry stream, partition key and hash key", () => {
  const record = kinesisEgressMessage({
    typename: "com.example/kinesis",
    stream: "s",
    partitionKey: "p",
    explicitHashKey: "h",
    value: new Uint8Array([1, 2, 3]),
  });
  assert.equal(record.value.typename, KINESIS_EGRESS_RECORD_TYPENAME);
  const decoded = decodeKinesisEgressRecord(record.value.bytes);
  assert.deepEqual(
    [decoded.stream, decoded.partitionKey, decoded.explicitHashKey, [...decoded.valueBytes]],
    ["s", "p", "h", [1, 2, 3]],
  );
});

test("playground egress records are the JSON the playground egress expects", () => {
  const record = playgroundEgressMessage({ topic: "greetings", payload: "Hi Bob" });
  assert.equal(record.egress, "io.statefun.playground/egress");
  assert.equal(record.value.typename, "io.statefun.playground/EgressRecord");
  assert.deepEqual(JSON.parse(Buffer.from(record.value.bytes).toString()), {
    topic: "greetings",
    payload: "Hi Bob",
  });
});
