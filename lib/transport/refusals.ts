/**
 * One line per refused connection would let any stranger flood a job's stderr (600 connections, 600 lines).
 * {@linkcode RefusalLog} prints the first refusal whole, then at most one summary line per interval:
 * `refused 599 more connections from 127.0.0.1 since 2026-01-01T00:00:00.000Z (last: ...)`. Every place
 * that refuses a connection (a rank's mesh, the launcher's coordinator, the Slurm rendezvous) logs through it.
 *
 * @module
 */

import { type TimerHandle, unrefTimer } from "../runtime/host.ts";
import { HandshakeError } from "./connection.ts";

/** How long a summary of refusals may wait: at most one line per interval after the first. */
export const REFUSAL_SUMMARY_MS = 2000;

/** Hosts named in one summary line; the rest are counted. */
const SUMMARY_HOSTS = 3;

/** What {@linkcode RefusalLog} needs besides where it writes. */
export interface RefusalLogOptions {
  /** What is refused, for the lines: `"connection"` by default. */
  what?: string;
  /** The summary interval; {@linkcode REFUSAL_SUMMARY_MS} by default. */
  intervalMs?: number;
  /** The clock (tests fix it). */
  now?: () => number;
}

/** The host of `host:port`, `[v6]:port` or a bare address; `an unknown address` when there is none. */
function hostOf(address: string | undefined): string {
  if (address === undefined || address === "") return "an unknown address";
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1];
  const parts = address.split(":");
  return parts.length === 2 && /^\d+$/.test(parts[1]) ? parts[0] : address;
}

/**
 * Logs refused connections, rate-limited: the first of a quiet spell at once, then the count per interval.
 *
 * @example
 * ```ts
 * import { RefusalLog } from "./refusals.ts";
 * const lines: string[] = [];
 * const refusals = new RefusalLog((line) => lines.push(line));
 * for (let i = 0; i < 600; i++) refusals.refused(`127.0.0.1:${40000 + i}`, "its proof of the job token is wrong");
 * console.log(lines); // ["refused a connection from 127.0.0.1:40000: its proof of the job token is wrong"]
 * refusals.flush(); // "refused 599 more connections from 127.0.0.1 since ... (last: its proof ...)"
 * ```
 */
export class RefusalLog {
  #write: (line: string) => void;
  #what: string;
  #intervalMs: number;
  #now: () => number;
  #since = 0;
  #counts = new Map<string, number>();
  #last = "";
  #timer: TimerHandle | undefined;

  constructor(write: (line: string) => void, options: RefusalLogOptions = {}) {
    this.#write = write;
    this.#what = options.what ?? "connection";
    this.#intervalMs = options.intervalMs ?? REFUSAL_SUMMARY_MS;
    this.#now = options.now ?? Date.now;
  }

  /** A connection from `address` was refused for `reason`. */
  refused(address: string | undefined, reason: string): void {
    if (this.#timer === undefined) {
      this.#write(`refused a ${this.#what} from ${address ?? "an unknown address"}: ${reason}`);
      this.#since = this.#now();
      this.#arm();
      return;
    }
    const host = hostOf(address);
    this.#counts.set(host, (this.#counts.get(host) ?? 0) + 1);
    this.#last = reason;
  }

  /**
   * A handshake with a connection from `address` failed with `error`: logged as a refusal when this end refused
   * it (a wrong proof, bytes of another protocol, no answer in time). A connection whose other end went away
   * before the handshake ended (closed it, or a write to it failed: a rank killed while it connected) was not
   * refused, and is not logged.
   */
  handshakeFailed(address: string | undefined, error: unknown): void {
    if (error instanceof HandshakeError && !error.closed) this.refused(address, error.message);
  }

  /** Writes the summary of the refusals not yet reported, if any, now. */
  flush(): void {
    if (this.#counts.size === 0) return;
    const entries = [...this.#counts].sort((a, b) => b[1] - a[1]);
    const total = entries.reduce((sum, [, count]) => sum + count, 0);
    const named = entries.slice(0, SUMMARY_HOSTS).map(([host, count]) =>
      entries.length === 1 ? host : `${host} (${count})`
    );
    const others = entries.length - named.length;
    const hosts = others > 0 ? `${named.join(", ")} and ${others} other hosts` : named.join(", ");
    this.#write(
      `refused ${total} more ${this.#what}${total === 1 ? "" : "s"} from ${hosts} since ` +
        `${new Date(this.#since).toISOString()} (last: ${this.#last})`,
    );
    this.#counts.clear();
    this.#since = this.#now();
  }

  /** Stops the timer, writing what it would have summarised. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** Summarises at the end of the interval; a quiet interval ends the spell (the next refusal prints whole). */
  #arm(): void {
    this.#timer = setTimeout(() => {
      if (this.#counts.size === 0) {
        this.#timer = undefined;
        return;
      }
      this.flush();
      this.#arm();
    }, this.#intervalMs);
    unrefTimer(this.#timer);
  }
}
