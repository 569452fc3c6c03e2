/**
 * Bun writes `process.stdout`/`process.stderr` to a pipe asynchronously while `console.log` writes directly:
 * in a rank (whose output is a pipe to the launcher) that reorders output mid-line, and `process.exit` drops
 * what was not flushed yet (1 MB written, then `process.exit(0)`, delivers about 128 KB). Node writes pipes
 * synchronously on Linux and Deno loses nothing; on Bun a rank's two streams are made synchronous too.
 *
 * @module
 */

import { runtimeName } from "./detect.ts";
import { nodeBuiltin } from "./host.ts";

/**
 * Makes writes to stdout and stderr synchronous (on Bun; elsewhere it does nothing).
 *
 * @example
 * ```ts
 * import { synchronousOutput } from "./sync_output.ts";
 * synchronousOutput();
 * ```
 */
export function synchronousOutput(): void {
  if (runtimeName !== "bun") return;
  const process = nodeBuiltin<typeof import("node:process")>("node:process");
  const { Buffer } = nodeBuiltin<typeof import("node:buffer")>("node:buffer");
  const { writeSync } = nodeBuiltin<typeof import("node:fs")>("node:fs");
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    // deno-lint-ignore no-explicit-any
    (stream as any).write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      if (typeof encoding === "function") [callback, encoding] = [encoding, undefined];
      const bytes = typeof chunk === "string"
        ? Buffer.from(chunk, (encoding as BufferEncoding | undefined) ?? "utf8")
        : chunk as Uint8Array;
      writeAll(writeSync, fd, bytes);
      if (typeof callback === "function") queueMicrotask(() => callback(null));
      return true;
    };
  }
}

function writeAll(writeSync: typeof import("node:fs").writeSync, fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      // A non-blocking pipe that is full: the reader (the launcher) is draining it; try again.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
    }
  }
}
