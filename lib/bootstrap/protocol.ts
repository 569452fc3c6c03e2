/**
 * The rendezvous messages between ranks and whoever serves the rendezvous (the launcher's coordinator, or rank
 * 0 under direct Slurm launch). They travel as CONTROL frames with a JSON payload: rare, small, and readable in
 * a packet capture.
 *
 * @module
 */

import type { Connection } from "../transport/connection.ts";
import { FrameKind } from "../wire/frame.ts";

/** Where a rank listens for its peers, and where it runs. */
export interface PeerAddress {
  /** Address the other ranks connect to. */
  host: string;
  port: number;
  /** The host name the rank reports (`Get_processor_name`, `Split_type`). */
  hostname: string;
  pid: number;
  /** A Unix domain socket the rank also listens on: ranks with the same host name dial it instead of TCP. */
  path?: string;
}

/** Rank -> rendezvous: here I am. */
export interface HelloMessage extends PeerAddress {
  t: "hello";
  rank: number;
}

/** Rendezvous -> rank: the whole world, indexed by rank. */
export interface WorldMessage {
  t: "world";
  peers: PeerAddress[];
}

/** Rank -> launcher: end the job (Abort, an uncaught exception, or a lost peer). */
export interface AbortMessage {
  t: "abort";
  rank: number;
  code: number;
  reason: string;
}

/** Launcher -> rank: say what you are blocked in (for `--timeout` reports and SIGUSR1). */
export interface ReportRequestMessage {
  t: "report";
  /** Numbers the request; the answer carries it back, so that a late answer never counts for a later request. */
  round: number;
}

/** Rank -> launcher: what this rank is waiting for, one line per pending operation. */
export interface ReportMessage {
  t: "blocked";
  rank: number;
  /** The `round` of the request this answers. */
  round: number;
  lines: string[];
}

/** Rank -> launcher, under `--report`: what this rank measured (`comm/profile.ts`), once its script is done. */
export interface ProfileMessage {
  t: "profile";
  rank: number;
  profile: unknown;
}

/** Every control message. */
export type ControlMessage =
  | HelloMessage
  | WorldMessage
  | AbortMessage
  | ReportRequestMessage
  | ReportMessage
  | ProfileMessage;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends one control message on a framed connection.
 *
 * @example
 * ```ts ignore
 * sendControl(connection, { t: "abort", rank: 2, code: 3, reason: "Abort(3) called" });
 * ```
 */
export function sendControl(connection: Connection, message: ControlMessage, done?: () => void): void {
  connection.send(
    { length: 0, kind: FrameKind.CONTROL, flags: 0, context: 0, source: 0, tag: 0, seq: 0, size: 0 },
    encoder.encode(JSON.stringify(message)),
    done,
  );
}

/** Decodes a control frame's payload; throws on anything that is not a known message. */
export function decodeControl(payload: Uint8Array): ControlMessage {
  const message = JSON.parse(decoder.decode(payload));
  if (typeof message !== "object" || message === null || typeof message.t !== "string") {
    throw new Error("control message without a type");
  }
  if (!["hello", "world", "abort", "report", "blocked", "profile"].includes(message.t)) {
    throw new Error(`unknown control message ${JSON.stringify(message.t)}`);
  }
  return message as ControlMessage;
}
