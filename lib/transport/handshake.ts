/**
 * Proof of the job token, both ways, before any frame is accepted: each side sends a fresh nonce and answers
 * the other's nonce with an HMAC-SHA256 keyed by the token. The token itself never travels.
 *
 * ```
 * acceptor  -> connector : MAGIC(8) nonceA(16)
 * connector -> acceptor  : MAGIC(8) connectorId(i32) nonceC(16) HMAC(token, "C" nonceA connectorId acceptorId)(32)
 * acceptor  -> connector : HMAC(token, "A" nonceC acceptorId connectorId)(32)
 * ```
 *
 * Ids are world ranks; the launcher's coordinator is {@linkcode COORDINATOR_ID}.
 *
 * @module
 */

import { randomBytes, toHex } from "../runtime/host.ts";
import { HANDSHAKE_TIMEOUT_MS } from "../wire/limits.ts";
import { type Connection, HandshakeError } from "./connection.ts";

/** The id the launcher's coordinator proves itself as. */
export const COORDINATOR_ID = -1;

const MAGIC = new TextEncoder().encode("MPIRDNO1");
const NONCE_SIZE = 16;
const MAC_SIZE = 32;
const HELLO_SIZE = MAGIC.length + NONCE_SIZE;
const PROOF_SIZE = MAGIC.length + 4 + NONCE_SIZE + MAC_SIZE;

/** HMAC-SHA256 of `role nonce ownId otherId` (ids as little-endian int32) keyed by the token (Web Crypto). */
async function mac(
  token: Uint8Array,
  role: "A" | "C",
  nonce: Uint8Array,
  ownId: number,
  otherId: number,
): Promise<Uint8Array> {
  const message = new Uint8Array(1 + nonce.length + 8);
  message[0] = role.charCodeAt(0);
  message.set(nonce, 1);
  const view = new DataView(message.buffer);
  view.setInt32(1 + nonce.length, ownId, true);
  view.setInt32(5 + nonce.length, otherId, true);
  const key = await crypto.subtle.importKey(
    "raw",
    token as Uint8Array<ArrayBuffer>,
    {
      name: "HMAC",
      hash: "SHA-256",
    },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

/** Compares in time that depends only on the lengths, not on where the bytes differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** How often the handshake deadline counts a second of the event loop's time. */
const DEADLINE_TICK_MS = 1000;

/**
 * Races `promise` against a deadline of `timeoutMs` (none when undefined) that counts only time the event loop
 * was free to serve the connection: a tick of {@linkcode DEADLINE_TICK_MS} that comes late (the process was
 * computing) counts as one tick, however late. A rank busy in a long synchronous computation thus gives a
 * peer's handshake the same 10 s of its own time as an idle rank would, instead of dropping it the moment
 * its computation ends, before it could even read the bytes that came in the meantime.
 */
function withTimeout<T>(
  promise: Promise<T>,
  connection: Connection,
  what: string,
  timeoutMs: number | undefined,
): Promise<T> {
  if (timeoutMs === undefined) return promise;
  let timer: ReturnType<typeof setInterval> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    let ticks = 0;
    timer = setInterval(() => {
      if (++ticks * DEADLINE_TICK_MS < timeoutMs) return;
      connection.destroy();
      reject(new HandshakeError(`${what} took longer than ${timeoutMs} ms`));
    }, DEADLINE_TICK_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearInterval(timer));
}

/**
 * Acceptor side: challenges the connector and checks its proof. Resolves with the connector's id; rejects with
 * {@linkcode HandshakeError} (the connection is then destroyed) when the proof is wrong, late or malformed.
 *
 * @example
 * ```ts ignore
 * const peerRank = await acceptHandshake(connection, token, myRank, (id) => id >= 0 && id < size);
 * ```
 */
export function acceptHandshake(
  connection: Connection,
  token: Uint8Array,
  ownId: number,
  isExpected: (id: number) => boolean,
): Promise<number> {
  return withTimeout(
    (async () => {
      const nonce = randomBytes(NONCE_SIZE);
      const hello = new Uint8Array(HELLO_SIZE);
      hello.set(MAGIC);
      hello.set(nonce, MAGIC.length);
      connection.writeRaw(hello);
      const proof = await connection.readBytes(PROOF_SIZE);
      if (!sameBytes(proof.subarray(0, MAGIC.length), MAGIC)) {
        throw fail(connection, "it does not speak the mpirun-deno protocol");
      }
      const view = new DataView(proof.buffer, proof.byteOffset, proof.length);
      const peerId = view.getInt32(MAGIC.length, true);
      const peerNonce = proof.slice(MAGIC.length + 4, MAGIC.length + 4 + NONCE_SIZE);
      const peerMac = proof.subarray(MAGIC.length + 4 + NONCE_SIZE);
      if (!isExpected(peerId)) throw fail(connection, `it claims the unexpected id ${peerId}`);
      if (!sameBytes(peerMac, await mac(token, "C", nonce, peerId, ownId))) {
        throw fail(connection, "its proof of the job token is wrong");
      }
      connection.writeRaw(await mac(token, "A", peerNonce, ownId, peerId));
      return peerId;
    })(),
    connection,
    "the handshake",
    HANDSHAKE_TIMEOUT_MS,
  );
}

/**
 * Connector side: answers the acceptor's challenge and checks that the acceptor knows the token and is
 * `expectedId`. Rejects with {@linkcode HandshakeError} otherwise, or when the connection closes first.
 *
 * `deadline` false waits for the acceptor as long as the connection stays open: a rank dialling a peer whose
 * address the launcher gave knows the peer's process is alive once the connection is made (a dead one's port
 * refuses or resets it), and a peer busy in a long computation answers only when it is done. The acceptor's
 * own deadline still drops connectors that never prove themselves.
 *
 * @example
 * ```ts ignore
 * await connectHandshake(connection, token, myRank, peerRank, false);
 * ```
 */
export function connectHandshake(
  connection: Connection,
  token: Uint8Array,
  ownId: number,
  expectedId: number,
  deadline = true,
): Promise<void> {
  return withTimeout(
    (async () => {
      const hello = await connection.readBytes(HELLO_SIZE);
      if (!sameBytes(hello.subarray(0, MAGIC.length), MAGIC)) {
        throw fail(connection, "it does not speak the mpirun-deno protocol");
      }
      const nonce = hello.subarray(MAGIC.length);
      const ownNonce = randomBytes(NONCE_SIZE);
      const proof = new Uint8Array(PROOF_SIZE);
      proof.set(MAGIC);
      new DataView(proof.buffer).setInt32(MAGIC.length, ownId, true);
      proof.set(ownNonce, MAGIC.length + 4);
      proof.set(await mac(token, "C", nonce, ownId, expectedId), MAGIC.length + 4 + NONCE_SIZE);
      connection.writeRaw(proof);
      const answer = await connection.readBytes(MAC_SIZE);
      if (!sameBytes(answer, await mac(token, "A", ownNonce, expectedId, ownId))) {
        throw fail(connection, "its proof of the job token is wrong");
      }
    })(),
    connection,
    "the handshake",
    deadline ? HANDSHAKE_TIMEOUT_MS : undefined,
  );
}

/** The first pause before dialling again a peer that dropped this connector after its deadline. */
const REDIAL_FIRST_MS = 100;
/** The longest pause between two such dials. */
const REDIAL_MAX_MS = 5_000;

/**
 * Dials with `dial` and proves the token with `prove` until the handshake succeeds; resolves with the proven
 * connection. No deadline is set here: the acceptor drops a connector that has not proved itself within
 * {@linkcode HANDSHAKE_TIMEOUT_MS} of its own time (see {@linkcode acceptHandshake}), and a healthy connector
 * on a loaded machine (or one busy in a long synchronous computation) can miss that. A connection dropped
 * that late is therefore dialled again, after a pause that doubles from 100 ms to 5 s, for as long as the
 * peer takes the connection: the peer's process is alive. A dead or absent peer ends this: its port refuses
 * the dial, which `dial` rejects with. A drop sooner than the acceptor's deadline (a proof it refused), and
 * any other error, rejects at once.
 *
 * @example
 * ```ts ignore
 * const connection = await dialUntilProven(
 *   async () => new Connection(await connect(host, port)),
 *   (connection) => connectHandshake(connection, token, myRank, peerRank, false),
 * );
 * ```
 */
export async function dialUntilProven(
  dial: () => Promise<Connection>,
  prove: (connection: Connection) => Promise<void>,
): Promise<Connection> {
  for (let pause = REDIAL_FIRST_MS;; pause = Math.min(pause * 2, REDIAL_MAX_MS)) {
    // Measured from before the dial: the acceptor's clock starts later, so a drop after its deadline is late
    // here too, however long this process took to see its connection made.
    const dialledAt = Date.now();
    const connection = await dial();
    try {
      await prove(connection);
      return connection;
    } catch (error) {
      connection.destroy();
      const dropped = error instanceof HandshakeError && error.closed;
      if (!dropped || Date.now() - dialledAt < HANDSHAKE_TIMEOUT_MS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

function fail(connection: Connection, why: string): HandshakeError {
  connection.destroy();
  return new HandshakeError(why);
}

/** Parses the hex job token from the environment into bytes; throws if it is not 32+ hex digits. */
export function parseToken(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2}){16,}$/i.test(hex)) {
    throw new Error("the job token is not a hex string of 16 or more bytes");
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** A fresh random job token, as hex. */
export function newToken(): string {
  return toHex(randomBytes(32));
}
