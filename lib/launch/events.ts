/**
 * `--events FILE`: the job as a stream of line-delimited JSON events, for workflow tools and CI that follow a
 * job without parsing its text. `FILE` may be a regular file (truncated), `/dev/stderr` or `/dev/fd/3`. Each
 * line is one object with `event`, `time` (ISO 8601) and the event's fields:
 *
 * | event        | fields                                                   |
 * | ------------ | -------------------------------------------------------- |
 * | `job_start`  | `size`, `script`, `launcher` (backend), `pid`, `hosts` (per rank) |
 * | `rank_start` | `rank`, `host`, `pid` (when the rank has joined the job) |
 * | `rank_abort` | `rank`, `code`, `reason` (Abort, an uncaught exception, a lost peer) |
 * | `rank_exit`  | `rank`, `code` (null if killed), `signal` (null if it exited) |
 * | `timeout`    | `seconds`, `blocked` (what each rank waited for, one line each) |
 * | `job_end`    | `code` (the launcher's exit code), `failure` (its message, or null), `seconds` |
 *
 * Lines are written synchronously, in the order things happen, so that a reader sees `job_end` last even if
 * the launcher is killed right after it.
 *
 * @module
 */

import * as fs from "node:fs";

/** One event: its name and fields (`time` is added). */
export type JobEvent =
  | { event: "job_start"; size: number; script: string; launcher: string; pid: number; hosts: string[] }
  | { event: "rank_start"; rank: number; host: string; pid: number }
  | { event: "rank_abort"; rank: number; code: number; reason: string }
  | { event: "rank_exit"; rank: number; code: number | null; signal: string | null }
  | { event: "timeout"; seconds: number; blocked: string[] }
  | { event: "job_end"; code: number; failure: string | null; seconds: number };

/** Where events go; {@linkcode NO_EVENTS} when `--events` is not given. */
export interface EventSink {
  emit(event: JobEvent): void;
  close(): void;
}

/** The sink of a job without `--events`: does nothing. */
export const NO_EVENTS: EventSink = { emit() {}, close() {} };

/**
 * Opens `file` for events; throws (with the system's reason) when it cannot be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as fs from "node:fs";
 * import * as os from "node:os";
 * import * as path from "node:path";
 * import { openEventFile } from "./events.ts";
 * const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "events-")), "job.jsonl");
 * const events = openEventFile(file);
 * events.emit({ event: "rank_exit", rank: 1, code: 0, signal: null });
 * events.close();
 * assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).event, "rank_exit");
 * ```
 */
export function openEventFile(file: string): EventSink {
  // A descriptor the launcher already has (/dev/stderr, /dev/fd/3) is written as it is: opening its /dev
  // name again fails where it is a socket (ENXIO), as under Bun's spawn.
  const inherited = inheritedDescriptor(file);
  let fd: number | undefined = inherited ?? fs.openSync(file, "w");
  const encoder = new TextEncoder();
  return {
    emit(event) {
      if (fd === undefined) return;
      const { event: name, ...fields } = event;
      const line = JSON.stringify({ event: name, time: new Date().toISOString(), ...fields }) + "\n";
      if (!writeAll(fd, encoder.encode(line))) fd = undefined; // the reader went away: the job goes on
    },
    close() {
      if (fd === undefined || fd === inherited) return;
      try {
        fs.closeSync(fd);
      } catch {
        // Already gone.
      }
      fd = undefined;
    },
  };
}

/** The descriptor `file` names when it is one of this process's own (`/dev/stderr`, `/dev/fd/3`). */
function inheritedDescriptor(file: string): number | undefined {
  const named = { "/dev/stdout": 1, "/dev/stderr": 2 }[file];
  if (named !== undefined) return named;
  const match = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(file);
  if (match === null) return undefined;
  const fd = Number(match[1]);
  fs.fstatSync(fd); // throws EBADF when it is not open
  return fd;
}

/** Writes every byte (a pipe may take them in parts, or be full for a moment); false once it is broken. */
function writeAll(fd: number, bytes: Uint8Array): boolean {
  let offset = 0;
  const deadline = Date.now() + 5000;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN" || Date.now() > deadline) return false;
    }
  }
  return true;
}
