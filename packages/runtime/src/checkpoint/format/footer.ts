/**
 * Reading and checking the footer of a checkpoint file: the start magic, the end magic (its
 * absence means a torn or truncated write), the manifest length and CRC, the manifest JSON, the
 * format version, and the section index. Reads the tail with one range read (64 KiB, which holds
 * the manifest of most files) and the start magic with another when the file is larger.
 */
import { StatefunError } from "@statefun-ts/protocol";
import type { CheckpointManifest } from "../model.js";
import {
  END_MAGIC,
  FILE_MAGIC,
  FOOTER_TAIL_BYTES,
  FORMAT_VERSION,
  MIN_FILE_BYTES,
  bytesEqualAt,
  crc32Of,
  readU32,
} from "./layout.js";
import { checkManifest, checkSections } from "./manifest.js";
import type { CheckpointSectionInfo } from "./manifest.js";

/** A file read by ranges: a storage object or bytes in memory. */
export interface ByteSource {
  /** The file's name, for error messages. */
  readonly name: string;
  /** The file's size in bytes. */
  size(): Promise<number>;
  /** `length` bytes from `offset` (fewer if the file is shorter). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** What the footer says. */
export interface Footer {
  /** The file's size in bytes. */
  readonly sizeBytes: number;
  /** The manifest, checked. */
  readonly manifest: CheckpointManifest;
  /** The section index, checked against the file's size. */
  readonly sections: readonly CheckpointSectionInfo[];
}

/** How many bytes of the tail the first read takes. */
const TAIL_READ_BYTES = 64 * 1024;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function text(bytes: Uint8Array): string {
  return JSON.stringify(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"),
  );
}

/**
 * Reads and checks the footer of a file.
 *
 * @throws StatefunError `corrupt-data` naming the file and what is wrong.
 */
export async function readFooter(source: ByteSource): Promise<Footer> {
  const corrupt = (what: string, cause?: unknown): never => {
    throw new StatefunError("corrupt-data", `checkpoint file ${source.name}: ${what}`, {
      cause,
      details: { file: source.name },
    });
  };
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    const bytes = await source.read(offset, length);
    if (bytes.length !== length) {
      corrupt(`truncated: read ${bytes.length} of ${length} bytes at offset ${offset}`);
    }
    return bytes;
  };

  const size = await source.size();
  if (size < MIN_FILE_BYTES) {
    corrupt(
      `truncated: ${size} bytes, fewer than the smallest checkpoint file (${MIN_FILE_BYTES})`,
    );
  }
  const tailLength = Math.min(size, TAIL_READ_BYTES);
  const tailStart = size - tailLength;
  const [head, tail] = await Promise.all([
    tailStart === 0 ? undefined : read(0, FILE_MAGIC.length),
    read(tailStart, tailLength),
  ]);
  const magic = (head ?? tail).subarray(0, FILE_MAGIC.length);
  if (!bytesEqualAt(magic, 0, FILE_MAGIC)) {
    corrupt(`bad magic: expected "SFCKPT01", found ${text(magic)}: not a checkpoint file`);
  }
  const endMagic = tail.subarray(tail.length - END_MAGIC.length);
  if (!bytesEqualAt(endMagic, 0, END_MAGIC)) {
    corrupt(
      `truncated or torn write: the file does not end with "SFCKEND1" (found ${hex(endMagic)})`,
    );
  }
  const manifestLength = readU32(tail, tail.length - FOOTER_TAIL_BYTES);
  const storedCrc = readU32(tail, tail.length - FOOTER_TAIL_BYTES + 4);
  const manifestStart = size - FOOTER_TAIL_BYTES - manifestLength;
  if (manifestStart < FILE_MAGIC.length) {
    corrupt(`truncated: the manifest length ${manifestLength} exceeds the file (${size} bytes)`);
  }
  const manifestBytes =
    manifestStart >= tailStart
      ? tail.subarray(manifestStart - tailStart, manifestStart - tailStart + manifestLength)
      : await read(manifestStart, manifestLength);
  const computedCrc = crc32Of(manifestBytes);
  if (storedCrc !== computedCrc) {
    corrupt(
      `manifest CRC mismatch: stored 0x${storedCrc.toString(16).padStart(8, "0")}, ` +
        `computed 0x${computedCrc.toString(16).padStart(8, "0")}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(manifestBytes));
  } catch (error) {
    corrupt(`the manifest is not UTF-8 JSON: ${(error as Error).message}`, error);
  }
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && Number.isInteger(version) && version > FORMAT_VERSION) {
    corrupt(
      `unsupported format version ${version}: this reader supports version ${FORMAT_VERSION}; ` +
        "the file was written by a newer statefun-ts",
    );
  }
  const fail = (what: string): never => corrupt(`manifest: ${what}`);
  const manifest = checkManifest(json, fail);
  const sections = checkSections(
    (json as { sections?: unknown }).sections,
    manifest.maxKeyGroups,
    FILE_MAGIC.length,
    manifestStart,
    fail,
  );
  return { sizeBytes: size, manifest, sections };
}
