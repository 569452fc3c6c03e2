/**
 * The frame header: a fixed 32-byte little-endian layout that precedes every payload on a connection between
 * ranks. Pure: no I/O.
 *
 * ```
 * offset  size  field
 *  0      4     payload length (bytes that follow the header)
 *  4      1     kind (FrameKind)
 *  5      1     flags (FrameFlag bits)
 *  6      2     reserved (0)
 *  8      4     context id of the communicator
 * 12      4     source: the sender's rank in that communicator
 * 16      4     tag (signed; -1 never travels)
 * 20      4     sequence number of a rendezvous or synchronous send, per sender
 * 24      4     size, low 32 bits: the message size announced by a rendezvous request, the offset in its
 *               message of a rendezvous payload's chunk, or credit returned
 * 28      4     size, high 32 bits (a message of 4 GiB or more)
 * ```
 *
 * A payload's length is 32-bit, and no frame carries more than `MAX_FRAME_PAYLOAD`: a larger rendezvous
 * message travels as several RDATA frames, each naming its offset.
 *
 * @module
 */

/** Bytes in every frame header. */
export const HEADER_SIZE = 32;

/** What a frame carries. */
export const FrameKind = {
  /** A whole message: header and payload. */
  EAGER: 1,
  /**
   * Request to send: the envelope of a large or synchronous message. No payload, or with the DIRECT flag the
   * 8-byte address (u32 low, u32 high) where the receiver may read the message from the sender's memory.
   */
  RTS: 2,
  /** Clear to send: the receiver matched the RTS with `seq`. */
  CTS: 3,
  /**
   * The payload of the rendezvous `seq`, or one chunk of it: `size` is the chunk's offset in the message, and
   * the chunks come in order.
   */
  RDATA: 4,
  /** The receiver consumed `size` bytes of eager messages: the sender may send that much more eagerly. */
  CREDIT: 5,
  /** Out-of-band control between a rank and the launcher (JSON payload). */
  CONTROL: 6,
  /** The receiver read the rendezvous `seq` from the sender's memory: the send is complete. */
  DONE: 7,
  /**
   * The sender's script is done: it closes its connections and exits. Its end is then no failure: it fails
   * the operations that name it, not the ANY_SOURCE receives of its communicators.
   */
  BYE: 8,
} as const;

/** One of the values of {@linkcode FrameKind}. */
export type FrameKind = typeof FrameKind[keyof typeof FrameKind];

/** Bits of the header's flags byte. */
export const FrameFlag = {
  /** The payload is raw bytes of a buffer, not an encoded value. */
  RAW: 1,
  /** A synchronous send: the sender waits until the receive has matched. */
  SYNC: 2,
  /**
   * On an RTS: it carries the address of its message (see {@linkcode FrameKind.RTS}). On a CTS: the receiver
   * could not read that address, and the sender should not offer one again.
   */
  DIRECT: 4,
  /**
   * On a CTS: the receiver asks the sender to write the first `size` bytes of its message to the 8-byte
   * address in the payload (in the receiver's memory), while it reads the rest itself. On an RDATA without
   * payload: the sender's answer, with `size` the bytes it wrote (0 if it could not).
   */
  SHARE: 8,
} as const;

/** The decoded fields of a frame header. */
export interface FrameHeader {
  length: number;
  kind: number;
  flags: number;
  context: number;
  source: number;
  tag: number;
  seq: number;
  size: number;
}

/**
 * Writes a header into `target` at `offset` (default 0). `target` must have {@linkcode HEADER_SIZE} bytes there.
 *
 * @example
 * ```ts
 * import { FrameKind, HEADER_SIZE, readHeader, writeHeader } from "./frame.ts";
 * const bytes = new Uint8Array(HEADER_SIZE);
 * writeHeader(bytes, { length: 0, kind: FrameKind.CTS, flags: 0, context: 0, source: 1, tag: 0, seq: 7, size: 0 });
 * console.log(readHeader(bytes).seq); // 7
 * ```
 */
export function writeHeader(target: Uint8Array, header: FrameHeader, offset = 0): void {
  // The last guard against a length cut to 32 bits: the engine sends large payloads in chunks.
  if (!(header.length <= MAX_U32 && header.size <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`frame length ${header.length} does not fit 32 bits or size ${header.size} 53 bits`);
  }
  // Byte stores rather than a DataView: this runs for every frame, and a DataView is an allocation.
  putUint32(target, offset, header.length);
  target[offset + 4] = header.kind;
  target[offset + 5] = header.flags;
  target[offset + 6] = 0;
  target[offset + 7] = 0;
  putUint32(target, offset + 8, header.context);
  putUint32(target, offset + 12, header.source);
  putUint32(target, offset + 16, header.tag);
  putUint32(target, offset + 20, header.seq);
  putUint32(target, offset + 24, header.size % TWO_TO_32);
  // Below 2^32 (every size but a huge message's), `size / 2^32` floors to 0 with no call.
  putUint32(target, offset + 28, header.size < TWO_TO_32 ? 0 : Math.floor(header.size / TWO_TO_32));
}

/** Reads the header at `offset` (default 0) of `source`, which must hold {@linkcode HEADER_SIZE} bytes there. */
export function readHeader(source: Uint8Array, offset = 0): FrameHeader {
  return {
    length: getUint32(source, offset),
    kind: source[offset + 4],
    flags: source[offset + 5],
    context: getUint32(source, offset + 8),
    source: getUint32(source, offset + 12) | 0,
    tag: getUint32(source, offset + 16) | 0,
    seq: getUint32(source, offset + 20),
    size: getUint32(source, offset + 24) + getUint32(source, offset + 28) * TWO_TO_32,
  };
}

const MAX_U32 = 0xffff_ffff;
const TWO_TO_32 = 2 ** 32;

/** Stores the low 32 bits of `value` little-endian (a signed value as its two's complement). */
export function putUint32(target: Uint8Array, at: number, value: number): void {
  target[at] = value;
  target[at + 1] = value >>> 8;
  target[at + 2] = value >>> 16;
  target[at + 3] = value >>> 24;
}

/** Reads 4 bytes at `at` as a little-endian unsigned integer. */
export function getUint32(source: Uint8Array, at: number): number {
  return (source[at] | (source[at + 1] << 8) | (source[at + 2] << 16) | (source[at + 3] << 24)) >>> 0;
}

/** Is `kind` a frame kind this version understands? */
export function isKnownKind(kind: number): boolean {
  return kind >= FrameKind.EAGER && kind <= FrameKind.BYE;
}
