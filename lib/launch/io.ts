/**
 * Rank output on the launcher's side: each rank's stdout and stderr are forwarded line by line to the
 * launcher's own (so lines of different ranks never mix within a line), optionally prefixed with the time and
 * the rank, and optionally copied raw into `DIR/rank.N/stdout` and `DIR/rank.N/stderr`. Only whole lines are
 * forwarded, except a line longer than {@linkcode MAX_LINE_BYTES} (forwarded in pieces, said once on stderr),
 * a rank's last line at its end, and, when there is one rank only, a prompt left unfinished for a moment.
 *
 * Memory stays bounded whatever the reader's speed: when more than {@linkcode OUTPUT_HIGH_WATER} bytes wait
 * to be written to the launcher's stdout or stderr, {@linkcode OutputForwarder.write} says so, and the
 * launcher stops reading the ranks' pipes until they drain (the ranks then wait in their writes).
 *
 * Standard input needs no code here: every backend hands the launcher's stdin to rank 0 itself (the local one
 * by inheritance), see `RankLaunch.stdin`.
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import type { Writable } from "node:stream";
import type { OutputStream } from "./spawner.ts";
import { concatBytes } from "../wire/buffers.ts";

/** Where forwarded bytes go: one writer, writes kept in order. */
export interface Sink {
  write(bytes: Uint8Array): void;
  /** Resolves once every write so far has been handed to the operating system (or failed). */
  drain(): Promise<void>;
  /** Bytes written but not yet handed to the operating system (a sink without it never holds output back). */
  backlog?(): number;
}

/** Bytes waiting for the launcher's stdout or stderr above which the ranks' pipes are no longer read. */
export const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;

/**
 * The longest line kept back until its newline: a longer one is forwarded in pieces (other ranks' lines may
 * then come between them), so that one endless line cannot take the launcher's memory.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * A {@linkcode Sink} over a writable stream such as `process.stdout`. Write errors (a closed pipe) are
 * swallowed: a reader that went away must not bring the launcher down before it has cleaned up its ranks.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { writableSink } from "./io.ts";
 * const out = writableSink(process.stdout);
 * out.write(new TextEncoder().encode("hello\n"));
 * await out.drain();
 * ```
 */
export function writableSink(stream: Writable): Sink {
  let pending = 0;
  let pendingBytes = 0;
  let waiters: (() => void)[] = [];
  stream.on("error", () => {});
  const settle = (length: number) => {
    pending--;
    pendingBytes -= length;
    if (pending > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  return {
    write(bytes) {
      pending++;
      pendingBytes += bytes.length;
      try {
        stream.write(bytes, () => settle(bytes.length));
      } catch {
        settle(bytes.length);
      }
    },
    drain: () => pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
    backlog: () => Math.max(pendingBytes, stream.writableLength ?? 0),
  };
}

/** How output is forwarded. */
export interface OutputOptions {
  /** Number of ranks. */
  size: number;
  /** Prefix each line with `[rank] `. */
  tag: boolean;
  /** Prefix each line with the ISO 8601 time it arrived. */
  timestamp: boolean;
  /** Directory for per-rank files, or `undefined`. */
  dir?: string;
  /** Forward to `stdout`/`stderr` (false: only to the files). */
  copy: boolean;
  /** Forward the ranks' stderr to `stdout` too, line by line (`--merge-stderr-to-stdout`). */
  mergeStderr?: boolean;
  stdout: Sink;
  stderr: Sink;
  /** The clock of `timestamp` (tests fix it). */
  now?: () => Date;
  /**
   * With one rank only (no other rank's line can come between), a line still unfinished after this long is
   * forwarded as it is, so that a prompt shows before the rank waits for input; the rest of the line follows
   * without a second prefix. With more ranks, lines are forwarded whole.
   */
  idleFlushMs?: number;
  /** {@linkcode MAX_LINE_BYTES} by default (tests lower it). */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/** One rank's stream: its unfinished line and whether the last forwarded byte ended a line. */
interface StreamState {
  partial: Uint8Array[];
  /** Bytes in `partial`. */
  partialBytes: number;
  atLineStart: boolean;
  ended: boolean;
  /** Has output after the end been said on stderr (once per stream)? */
  toldLate: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  file: number | undefined;
}

/**
 * Forwards ranks' output. Feed it with {@linkcode OutputForwarder.write} and {@linkcode OutputForwarder.end}
 * (the spawner's events); {@linkcode OutputForwarder.ended} resolves when every stream has ended.
 *
 * A final line without a newline is delivered; it gets a newline added when the output is tagged or comes
 * from more than one rank, so that the next line does not continue it.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { OutputForwarder, writableSink } from "./io.ts";
 * const output = new OutputForwarder({
 *   size: 1, tag: true, timestamp: false, copy: true,
 *   stdout: writableSink(process.stdout), stderr: writableSink(process.stderr),
 * });
 * output.write(0, "stdout", new TextEncoder().encode("hello\nwor"));
 * output.write(0, "stdout", new TextEncoder().encode("ld\n")); // prints "[0] hello" and "[0] world"
 * output.end(0, "stdout");
 * output.end(0, "stderr");
 * await output.close();
 * ```
 */
export class OutputForwarder {
  #options: OutputOptions;
  #states: Record<OutputStream, StreamState>[];
  #open = 0;
  #ended: Promise<void>;
  #resolveEnded!: () => void;
  #toldLongLines = false;

  constructor(options: OutputOptions) {
    this.#options = options;
    const state = (): StreamState => ({
      partial: [],
      partialBytes: 0,
      atLineStart: true,
      ended: false,
      toldLate: false,
      timer: undefined,
      file: undefined,
    });
    this.#states = Array.from({ length: options.size }, () => ({ stdout: state(), stderr: state() }));
    this.#open = options.size * 2;
    this.#ended = new Promise((resolve) => this.#resolveEnded = resolve);
    if (this.#open === 0) this.#resolveEnded();
  }

  /** Creates `DIR/rank.N/` and opens the per-rank files (when a directory was given). Throws on failure. */
  openFiles(): void {
    const dir = this.#options.dir;
    if (dir === undefined) return;
    this.#states.forEach((streams, rank) => {
      const rankDir = path.join(dir, `rank.${rank}`);
      fs.mkdirSync(rankDir, { recursive: true });
      for (const stream of ["stdout", "stderr"] as const) {
        streams[stream].file = fs.openSync(path.join(rankDir, stream), "w");
      }
    });
  }

  /** Resolves when every stream of every rank has ended. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /**
   * Forwards a chunk of `rank`'s `stream`. Returns false when the launcher's stdout or stderr has more than
   * {@linkcode OUTPUT_HIGH_WATER} bytes waiting: the caller should stop reading the ranks' output until
   * {@linkcode OutputForwarder.drained} resolves.
   */
  write(rank: number, stream: OutputStream, chunk: Uint8Array): boolean {
    const state = this.#states[rank][stream];
    // Bytes after the stream's end (its runtime told of the end too early) are still forwarded, not dropped.
    if (state.ended && !state.toldLate) {
      state.toldLate = true;
      this.#tellLateOutput(rank, stream, chunk.length);
    }
    if (state.file !== undefined) writeFully(state.file, chunk);
    if (!this.#options.copy || chunk.length === 0) return true;
    const out: Uint8Array[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      this.#line(state, rank, out);
      out.push(...state.partial, chunk.subarray(start, newline + 1));
      state.partial = [];
      state.partialBytes = 0;
      state.atLineStart = true;
      start = newline + 1;
    }
    if (start < chunk.length) {
      state.partial.push(chunk.slice(start));
      state.partialBytes += chunk.length - start;
    }
    if (state.partialBytes > (this.#options.maxLineBytes ?? MAX_LINE_BYTES)) {
      // An endless line: forward what there is, the rest follows without a second prefix.
      this.#line(state, rank, out);
      out.push(...state.partial);
      state.partial = [];
      state.partialBytes = 0;
      state.atLineStart = false;
      this.#tellLongLine(rank, stream);
    }
    if (out.length > 0) this.#sink(stream).write(concatBytes(out));
    if (this.#options.size === 1) this.#armIdleFlush(state, rank, stream);
    return this.backlog() <= OUTPUT_HIGH_WATER;
  }

  /** Bytes waiting for the launcher's stdout and stderr. */
  backlog(): number {
    return Math.max(this.#options.stdout.backlog?.() ?? 0, this.#options.stderr.backlog?.() ?? 0);
  }

  /** Resolves once everything written so far to the launcher's stdout and stderr has been handed on. */
  async drained(): Promise<void> {
    await Promise.all([this.#options.stdout.drain(), this.#options.stderr.drain()]);
  }

  /** `rank`'s `stream` has ended: its unfinished line is delivered. */
  end(rank: number, stream: OutputStream): void {
    const state = this.#states[rank][stream];
    if (state.ended) return;
    state.ended = true;
    clearTimeout(state.timer);
    if (state.partial.length > 0 || !state.atLineStart) {
      const out: Uint8Array[] = [];
      this.#line(state, rank, out);
      out.push(...state.partial);
      const decorated = this.#options.tag || this.#options.timestamp || this.#options.size > 1;
      if (decorated) out.push(encoder.encode("\n"));
      state.partial = [];
      state.partialBytes = 0;
      state.atLineStart = true;
      this.#sink(stream).write(concatBytes(out));
    }
    if (state.file !== undefined) {
      fs.closeSync(state.file);
      state.file = undefined;
    }
    if (--this.#open === 0) this.#resolveEnded();
  }

  /** Ends every stream that has not ended yet (delivering its unfinished line), then drains the sinks. */
  async close(): Promise<void> {
    for (let rank = 0; rank < this.#states.length; rank++) {
      this.end(rank, "stdout");
      this.end(rank, "stderr");
    }
    await Promise.all([this.#options.stdout.drain(), this.#options.stderr.drain()]);
  }

  /** Says (once per stream: the caller checks) that a rank's output went on after its stream ended. */
  #tellLateOutput(rank: number, stream: OutputStream, count: number): void {
    this.#options.stderr.write(encoder.encode(
      `mpirun-deno: rank ${rank}'s ${stream} went on after its end (${count} bytes, and maybe more): ` +
        `forwarded, maybe out of line\n`,
    ));
  }

  /** Says once per job that long lines are forwarded in pieces. */
  #tellLongLine(rank: number, stream: OutputStream): void {
    if (this.#toldLongLines) return;
    this.#toldLongLines = true;
    const limit = this.#options.maxLineBytes ?? MAX_LINE_BYTES;
    this.#options.stderr.write(encoder.encode(
      `mpirun-deno: rank ${rank} wrote a line of more than ${limit} bytes on ${stream}: ` +
        `such lines are forwarded in pieces, which lines of other ranks may come between\n`,
    ));
  }

  #sink(stream: OutputStream): Sink {
    return stream === "stdout" || this.#options.mergeStderr ? this.#options.stdout : this.#options.stderr;
  }

  /** Pushes the prefix of a line that starts now, if it starts now. */
  #line(state: StreamState, rank: number, out: Uint8Array[]): void {
    if (!state.atLineStart) return;
    const { tag, timestamp } = this.#options;
    if (!tag && !timestamp) return;
    const time = timestamp ? `${(this.#options.now?.() ?? new Date()).toISOString()} ` : "";
    out.push(encoder.encode(`${time}${tag ? `[${rank}] ` : ""}`));
  }

  #armIdleFlush(state: StreamState, rank: number, stream: OutputStream): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    if (state.partial.length === 0) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (state.partial.length === 0 || state.ended) return;
      const out: Uint8Array[] = [];
      this.#line(state, rank, out);
      out.push(...state.partial);
      state.partial = [];
      state.partialBytes = 0;
      state.atLineStart = false;
      this.#sink(stream).write(concatBytes(out));
    }, this.#options.idleFlushMs ?? 100);
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
}
