/**
 * Every size and time limit of the wire, each with its reason. Imports nothing.
 *
 * @module
 */

/** Deepest nesting a value may have before encode refuses it (guards cycles and stack overflows). */
export const MAX_VALUE_DEPTH = 512;

/**
 * Largest payload one frame may announce. A header claiming more is a protocol error and the connection is
 * dropped before anything is allocated. 2 GiB - 1 keeps lengths in one unsigned 32-bit field and under the
 * largest ArrayBuffer every runtime allocates. A larger message travels in chunks of
 * {@linkcode RDATA_CHUNK_BYTES}: messages have no size limit but memory.
 */
export const MAX_FRAME_PAYLOAD = 2 ** 31 - 1;

/**
 * A rendezvous payload larger than this travels as several RDATA frames of at most this many bytes (the
 * last one shorter), each landing in place in the receiver's buffer: frames stay bounded, and no message
 * is copied again to be reassembled.
 */
export const RDATA_CHUNK_BYTES = 256 * 1024 * 1024;

/** Largest payload accepted before the handshake has proven the job token: strangers get nothing big. */
export const MAX_HANDSHAKE_BYTES = 256;

/**
 * How long an accepted connection may take to prove the job token before the accepting side drops it (a
 * stranger, a slow-loris). Counted in the acceptor's event-loop time, so that a rank that computed for longer
 * does not drop a peer that was waiting for it; the dialling rank sets no deadline on a peer it reached.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Messages up to this size travel eagerly (the sender does not wait for the receiver); larger ones use
 * rendezvous, so an unmatched large message costs the receiver a small header, not its payload.
 */
export const EAGER_LIMIT = 64 * 1024;

/**
 * Messages of at least this many bytes to a rank of this host that can read this process's memory go by
 * rendezvous even below {@linkcode EAGER_LIMIT}, and the receiver copies them straight from the sender's
 * memory (see `DirectCopy` in `p2p/engine.ts`): measured on 2 cores, streaming 64 KiB messages went from
 * 1.5-2.2 GB/s (eager: three copies) to 5.6-6.5 GB/s. Typed arrays this large never live on a moving heap
 * (V8 keeps at most 64 bytes on-heap, JavaScriptCore at most 1000 elements).
 */
export const DIRECT_MIN = 16 * 1024;

/**
 * Direct messages of at least this many bytes are copied by both ranks at once: the sender writes the first
 * half into the receiver's buffer (`process_vm_writev`) while the receiver reads the second half, so two
 * cores copy and each half stays nearer the caches. Measured with a C probe on the 2-core VM: one reader
 * 5.6-10.3 GB/s for 16 MiB, the two halves together 13-36 GB/s. A sender that has not come to its half by
 * the time the receiver has read its own leaves it to the receiver (see `p2p/share_claims.ts`).
 */
export const SHARED_COPY_MIN = 1024 * 1024;

/**
 * Bytes of eager messages a sender may have in flight to one peer before the receiver has matched them. Past
 * it, messages go by rendezvous: this bounds what a fast sender can pile up in a slow receiver's memory.
 */
export const EAGER_WINDOW = 4 * 1024 * 1024;

/** The receiver returns eager credit in batches of at least this many bytes (one small frame per batch). */
export const CREDIT_BATCH = 256 * 1024;

/** How long a rank tries to reach the launcher's coordinator (or a peer) before giving up. */
export const CONNECT_TIMEOUT_MS = 30_000;
