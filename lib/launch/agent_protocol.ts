/**
 * The frames between the ssh backend and its remote agent (`remote_agent.ts`), one agent per remote host
 * over one ssh connection. The launcher writes frames to the agent's standard input (start a rank, its
 * standard input, a signal); the agent writes frames to its standard output (a rank started, its output, its
 * end). Every frame names the rank it is about by its index in the agent's list. Pure: no I/O.
 *
 * Frame: kind (u8), index (u32 big-endian), payload length (u32 big-endian), payload.
 *
 * @module
 */

/** What a frame carries. */
export const AgentFrameKind = {
  /** Launcher -> agent: start a rank; JSON {@linkcode AgentStart}. */
  START: 1,
  /** Launcher -> agent: bytes for the rank's standard input. */
  STDIN: 2,
  /** Launcher -> agent: the rank's standard input ends. */
  STDIN_END: 3,
  /** Launcher -> agent: send the signal named in the payload (to every rank when the index is `ALL`). */
  SIGNAL: 4,
  /** Agent -> launcher: the rank runs; JSON `{ pid }`. */
  STARTED: 16,
  /** Agent -> launcher: bytes the rank wrote to its standard output. */
  STDOUT: 17,
  /** Agent -> launcher: bytes the rank wrote to its standard error. */
  STDERR: 18,
  /** Agent -> launcher: the rank ended; JSON `{ code, signal }` as {@linkcode ExitStatus}. */
  EXIT: 19,
  /** Agent -> launcher: the rank could not be started; the payload says why (UTF-8). */
  ERROR: 20,
} as const;

/** One of {@linkcode AgentFrameKind}. */
export type AgentFrameKind = typeof AgentFrameKind[keyof typeof AgentFrameKind];

/** The index that means "every rank of this agent" (in `SIGNAL`). */
export const ALL_RANKS = 0xffff_ffff;

/** Bytes before the payload. */
export const AGENT_HEADER_BYTES = 9;

/** Largest payload accepted: a START frame holds a whole environment, output chunks are far smaller. */
export const MAX_AGENT_PAYLOAD = 64 * 1024 * 1024;

/**
 * The first bytes the agent writes, before any frame: what a login shell may print first (a `.bashrc` that
 * echoes) is told apart from the frames by it.
 */
export const AGENT_GREETING: Uint8Array = new TextEncoder().encode("\nmpirun-deno agent 1\n");

/**
 * Finds the greeting in the first bytes of the agent's stream: `undefined` while it has not fully arrived;
 * else what came before it (a login shell's output) and the frames' bytes after it.
 *
 * @example
 * ```ts
 * import { AGENT_GREETING, splitGreeting } from "./agent_protocol.ts";
 * const bytes = new Uint8Array([...new TextEncoder().encode("motd"), ...AGENT_GREETING, 1]);
 * const { before, after } = splitGreeting(bytes)!;
 * console.log(before.length, after.length); // 4 1
 * ```
 */
export function splitGreeting(bytes: Uint8Array): { before: Uint8Array; after: Uint8Array } | undefined {
  const first = AGENT_GREETING[0];
  for (let at = bytes.indexOf(first); at >= 0; at = bytes.indexOf(first, at + 1)) {
    if (at + AGENT_GREETING.length > bytes.length) return undefined;
    let match = true;
    for (let i = 1; i < AGENT_GREETING.length && match; i++) match = bytes[at + i] === AGENT_GREETING[i];
    if (match) return { before: bytes.subarray(0, at), after: bytes.subarray(at + AGENT_GREETING.length) };
  }
  return undefined;
}

/** What the agent needs to start one rank. The environment is on top of the agent's own. */
export interface AgentStart {
  /** The global rank, for messages. */
  rank: number;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Whether the launcher sends standard input (rank 0); otherwise the rank reads end-of-file at once. */
  stdin: boolean;
  /** How many ranks this agent starts in all: it exits once that many have ended. */
  total: number;
}

/** A decoded frame. */
export interface AgentFrame {
  kind: number;
  index: number;
  payload: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes one frame.
 *
 * @example
 * ```ts
 * import { AgentFrameKind, encodeAgentFrame } from "./agent_protocol.ts";
 * const frame = encodeAgentFrame(AgentFrameKind.STDIN_END, 0);
 * console.log(frame.length); // 9
 * ```
 */
export function encodeAgentFrame(
  kind: AgentFrameKind,
  index: number,
  payload?: Uint8Array | string,
): Uint8Array {
  const body = typeof payload === "string" ? encoder.encode(payload) : payload ?? new Uint8Array(0);
  const frame = new Uint8Array(AGENT_HEADER_BYTES + body.length);
  const view = new DataView(frame.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, index);
  view.setUint32(5, body.length);
  frame.set(body, AGENT_HEADER_BYTES);
  return frame;
}

/** Encodes a frame whose payload is `value` as JSON. */
export function encodeJsonFrame(kind: AgentFrameKind, index: number, value: unknown): Uint8Array {
  return encodeAgentFrame(kind, index, JSON.stringify(value));
}

/** The payload as text. */
export function payloadText(frame: AgentFrame): string {
  return decoder.decode(frame.payload);
}

/** The payload as JSON. */
export function payloadJson<T>(frame: AgentFrame): T {
  return JSON.parse(payloadText(frame)) as T;
}

/**
 * Turns a byte stream back into frames, whatever the chunking: frames split over chunks and several frames in
 * one chunk both come out whole.
 *
 * @example
 * ```ts
 * import { AgentFrameKind, AgentFrameReader, encodeAgentFrame } from "./agent_protocol.ts";
 * const bytes = encodeAgentFrame(AgentFrameKind.STDOUT, 2, "hi\n");
 * const reader = new AgentFrameReader();
 * console.log(reader.push(bytes.subarray(0, 4)).length); // 0
 * console.log(reader.push(bytes.subarray(4))[0].index); // 2
 * ```
 */
export class AgentFrameReader {
  #buffer = new Uint8Array(0);
  #length = 0;

  /** Bytes received but not yet part of a whole frame. */
  get pending(): number {
    return this.#length;
  }

  /** Adds a chunk and returns every frame it completes. Throws on a frame larger than the limit. */
  push(chunk: Uint8Array): AgentFrame[] {
    this.#append(chunk);
    const frames: AgentFrame[] = [];
    let offset = 0;
    while (this.#length - offset >= AGENT_HEADER_BYTES) {
      const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset + offset, AGENT_HEADER_BYTES);
      const size = view.getUint32(5);
      if (size > MAX_AGENT_PAYLOAD) {
        throw new Error(`agent frame of ${size} bytes is over the limit of ${MAX_AGENT_PAYLOAD}`);
      }
      if (this.#length - offset < AGENT_HEADER_BYTES + size) break;
      const start = offset + AGENT_HEADER_BYTES;
      frames.push({
        kind: view.getUint8(0),
        index: view.getUint32(1),
        payload: this.#buffer.slice(start, start + size),
      });
      offset = start + size;
    }
    if (offset > 0) {
      this.#buffer.copyWithin(0, offset, this.#length);
      this.#length -= offset;
    }
    return frames;
  }

  #append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2, 4096));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
  }
}
