/**
 * The collectives' own line to the point-to-point engine. Each communicator has one {@linkcode Collectives}
 * sequence; every collective call takes the next number and uses it as the tag of all its messages on the
 * communicator's collective context. Every rank calls collectives in the same order, so the numbers agree;
 * several collectives in flight never mix, and none ever matches user point-to-point traffic (which lives on
 * another context).
 *
 * Within one call, messages between two ranks are sent and received in program order, so the engine's
 * non-overtaking rule is all the matching a collective needs.
 *
 * @module
 */

import { TAG_UB } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import type { Engine } from "../p2p/engine.ts";
import type { Hierarchy } from "./hierarchy.ts";
import type { HostArena, SharedMemory } from "./shared.ts";
import { openArena, openHierarchy } from "./shared_setup.ts";

/** This rank's place in the communicator, as the argument checks of a collective need it. */
export interface Shape {
  readonly rank: number;
  readonly size: number;
}

/**
 * A collective call whose arguments have been checked, waiting for its channel. Checks run before the
 * channel is opened, so a call that fails them takes no sequence number.
 */
export type Run<T> = (channel: Channel) => Promise<T>;

/** What a communicator hands the collectives: who is in it, and where its collective traffic goes. */
export interface CollectiveHost {
  engine: Engine;
  /** World rank of each member, indexed by rank in the communicator. */
  members: readonly number[];
  /** This process's rank in the communicator. */
  rank: number;
  /** The communicator's collective context id. */
  context: number;
  /** The host of each member, indexed by rank in the communicator (none: no shared memory). */
  hosts?: readonly string[];
  /** Host-shared memory, where this process can map it (see `shared.ts`). */
  shared?: SharedMemory;
}

/**
 * The collective sequence of one communicator.
 *
 * @example
 * ```ts ignore
 * const collectives = new Collectives({ engine, members: [0, 1], rank: 0, context: 1 });
 * const channel = collectives.open("bcast", false); // tag 0; the next call gets tag 1
 * ```
 */
export class Collectives {
  readonly #host: CollectiveHost;
  #next = 0;
  /** The shared-memory region: not asked for yet (null), being set up, or known (undefined: none). */
  #arena: HostArena | undefined | null | Promise<HostArena | undefined> = null;
  /** The layout across hosts, likewise. */
  #hierarchy: Hierarchy | undefined | null | Promise<Hierarchy | undefined> = null;

  constructor(host: CollectiveHost) {
    this.#host = host;
  }

  /**
   * Opens the channel of the next collective call. `raw` says whether the call moves buffer bytes (the
   * capitalised methods) or encoded values; a peer in the other kind of call is an ERR_TYPE error.
   */
  open(where: string, raw: boolean): Channel {
    const tag = this.#next;
    this.#next = tag === TAG_UB ? 0 : tag + 1;
    return new Channel(this.#host, where, tag, raw, this);
  }

  /**
   * The communicator's shared-memory region (see `shared.ts`), set up by the first call that asks for it
   * (every rank asks in the same call, since all make the same calls in the same order).
   */
  arena(channel: Channel): HostArena | undefined | Promise<HostArena | undefined> {
    return this.#arena !== null ? this.#arena : this.#setUpArena(channel);
  }

  /** Sets up the region (apart from {@linkcode arena}, so that a call that finds it known makes no closure). */
  #setUpArena(channel: Channel): Promise<HostArena | undefined> {
    const host = this.#host;
    const setup = openArena(channel, host.shared, host.hosts ?? []).then((arena) => this.#arena = arena);
    this.#arena = setup;
    return setup;
  }

  /**
   * Releases the communicator's shared-memory regions once the calls under way on them have ended: `Free`
   * calls it, so that a program that makes and frees communicators in a loop keeps no memory of theirs.
   */
  close(): void {
    const release = (arena: HostArena | undefined) => void arena?.close();
    const { arena, hierarchy } = { arena: this.#arena, hierarchy: this.#hierarchy };
    this.#arena = this.#hierarchy = undefined;
    if (arena instanceof Promise) arena.then(release, () => {});
    else if (arena) release(arena);
    if (hierarchy instanceof Promise) hierarchy.then((found) => release(found?.arena), () => {});
    else if (hierarchy) release(hierarchy.arena);
  }

  /**
   * How the communicator's ranks sit on hosts, with this host's region (see `hierarchy.ts`), when it spans
   * hosts and some host has several of its ranks; set up by the first call that asks, like {@linkcode arena}.
   */
  hierarchy(channel: Channel): Hierarchy | undefined | Promise<Hierarchy | undefined> {
    if (this.#hierarchy !== null) return this.#hierarchy;
    const host = this.#host;
    const setup = openHierarchy(channel, host.shared, host.hosts ?? []).then((found) =>
      this.#hierarchy = found
    );
    this.#hierarchy = setup;
    return setup;
  }
}

/** The messages of one collective call: one tag, one context, one kind (raw bytes or encoded values). */
export class Channel {
  /** The call, for error messages, such as `"Allreduce"`. */
  readonly where: string;
  /** This process's rank in the communicator. */
  readonly rank: number;
  /** Number of ranks in the communicator. */
  readonly size: number;
  /** The call's sequence number, used as the tag of its messages. */
  readonly tag: number;
  /** Does the call move buffer bytes (the capitalised methods) rather than encoded values? */
  readonly raw: boolean;
  readonly #host: CollectiveHost;
  readonly #collectives: Collectives | undefined;

  constructor(host: CollectiveHost, where: string, tag: number, raw: boolean, collectives?: Collectives) {
    this.#host = host;
    this.where = where;
    this.rank = host.rank;
    this.size = host.members.length;
    this.tag = tag;
    this.raw = raw;
    this.#collectives = collectives;
  }

  /**
   * The communicator's shared-memory region, when its members share a host and could all map it (see
   * `shared.ts`); undefined otherwise. Synchronous once known; the first call sets it up.
   */
  arena(): HostArena | undefined | Promise<HostArena | undefined> {
    return this.#collectives?.arena(this);
  }

  /**
   * The communicator's shared-memory region when it has one and it is set up (undefined: none, or not known
   * yet); a call that finds it runs on it with no closure for {@linkcode viaArena}.
   */
  knownArena(): HostArena | undefined {
    const arena = this.arena();
    return arena instanceof Promise ? undefined : arena;
  }

  /**
   * Runs `shared` on the communicator's shared-memory region when it has one (see {@linkcode arena}), else
   * `otherwise`, which moves the bytes by messages.
   */
  viaArena<T>(shared: (arena: HostArena) => Promise<T>, otherwise: () => Promise<T>): Promise<T> {
    const arena = this.arena();
    if (arena === undefined) return otherwise();
    if (arena instanceof Promise) return arena.then((known) => known ? shared(known) : otherwise());
    return shared(arena);
  }

  /**
   * Runs `layered` with the communicator's layout across hosts when it spans several with more than one rank
   * on some (see `hierarchy.ts`), else `otherwise`.
   */
  viaHierarchy<T>(layered: (hierarchy: Hierarchy) => Promise<T>, otherwise: () => Promise<T>): Promise<T> {
    const hierarchy = this.#collectives?.hierarchy(this);
    if (hierarchy === undefined) return otherwise();
    if (hierarchy instanceof Promise) return hierarchy.then((known) => known ? layered(known) : otherwise());
    return layered(hierarchy);
  }

  /** What the communicator hands its collectives (for channels among some of its ranks). */
  get host(): CollectiveHost {
    return this.#host;
  }

  /** The error of a member that is gone, if one is (a wait in shared memory fails with it). */
  lostMember(): Error | undefined {
    return this.#firstOfMembers((member) => this.#host.engine.lostPeer(member));
  }

  /**
   * The error of a member that failed, if one did: it ended without saying its script was done. A wait among
   * some of the members (one host's, in a collective across hosts) fails with it, since the others may then
   * never arrive; a member outside the wait that ended normally does not concern it.
   */
  failedMember(): Error | undefined {
    return this.#firstOfMembers((member) => this.#host.engine.failedPeer(member));
  }

  /** The first error `errorOf` gives for a member, if any. */
  #firstOfMembers(errorOf: (member: number) => Error | undefined): Error | undefined {
    for (const member of this.#host.members) {
      const error = errorOf(member);
      if (error) return error;
    }
    return undefined;
  }

  /** Makes sure the death of any member is noticed, though no message may ever go to it. */
  watchMembers(): void {
    for (const member of this.#host.members) {
      if (member !== this.#host.engine.rank) this.#host.engine.watch(member);
    }
  }

  /**
   * Sends `bytes` to rank `to`; resolves once `bytes` may be changed. `owned` says `bytes` is never written
   * again (an encoding, a received message being forwarded).
   */
  send(to: number, bytes: Uint8Array, owned: boolean): Promise<void> {
    return this.#host.engine.send({
      peer: this.#host.members[to],
      context: this.#host.context,
      source: this.rank,
      tag: this.tag,
      payload: bytes,
      headroom: false,
      raw: this.raw,
      sync: false,
      owned,
    });
  }

  /**
   * Receives the next message of this call from rank `from`. A large message is assembled straight into
   * `into` when given (see {@linkcode landedIn}); otherwise the payload is wherever the transport put it.
   */
  async receive(from: number, into?: Uint8Array): Promise<Uint8Array> {
    const host = this.#host;
    const message = await host.engine.receive({
      context: host.context,
      source: from,
      tag: this.tag,
      peer: host.members[from],
    }, into).promise;
    if (message === undefined) {
      throw mpiError(ErrorCode.ERR_INTERN, `${this.where}: the receive from rank ${from} was withdrawn`);
    }
    if (message.raw !== this.raw) {
      const mine = this.raw ? "a buffer collective (capitalised method)" : "a value collective";
      const theirs = message.raw ? "a buffer collective" : "a value collective";
      throw mpiError(
        ErrorCode.ERR_TYPE,
        `${this.where}: rank ${from} is in ${theirs} while this rank called ${mine}; every rank must make the same call`,
      );
    }
    return message.payload;
  }

  /** Sends `bytes` to `to` and receives from `from` (into `into`, if given) at once. */
  async exchange(
    to: number,
    bytes: Uint8Array,
    owned: boolean,
    from: number,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    const [received] = await Promise.all([this.receive(from, into), this.send(to, bytes, owned)]);
    return received;
  }
}

/** Did a received payload land in `target` itself (so no copy is needed)? */
export function landedIn(payload: Uint8Array, target: Uint8Array): boolean {
  return payload.buffer === target.buffer && payload.byteOffset === target.byteOffset;
}

/**
 * The channel of one collective call among some of a communicator's ranks: for the collectives that only
 * they call (`Create_group`), and for the steps of a collective across hosts (`hierarchy.ts`). The
 * algorithms see the members as ranks `0..n-1`, as on any channel; on the wire, every message goes on the
 * communicator's own channel, from and to the members' ranks in the communicator. So the envelope of a
 * message names its sender uniquely (a rank in a subgroup would not: rank 0 of one subgroup is another
 * process than rank 0 of the next), and two such calls with one tag, one after the other on overlapping
 * subgroups, never take each other's messages.
 *
 * The channel of one collective call among the communicator ranks `ranks` (in the order that makes them
 * ranks `0..n-1` here); this process must be one of them.
 *
 * @example
 * ```ts ignore
 * // Ranks 3 and 1 of a communicator, as ranks 0 and 1 of an allreduce that no other rank joins.
 * const channel = new SubgroupChannel(host, [3, 1], "Create_group", -2, false);
 * const highest = await allreduceValue({ rank: channel.rank, size: channel.size }, proposal, MAX)(channel);
 * ```
 */
export class SubgroupChannel extends Channel {
  /** The same call on the whole communicator's ranks: what the messages travel on. */
  readonly #whole: Channel;
  /** Communicator rank of each member, by rank here. */
  readonly #ranks: readonly number[];

  constructor(host: CollectiveHost, ranks: readonly number[], where: string, tag: number, raw: boolean) {
    const members = ranks.map((rank) => host.members[rank]);
    super({ ...host, members, rank: ranks.indexOf(host.rank) }, where, tag, raw);
    this.#whole = new Channel(host, where, tag, raw);
    this.#ranks = ranks;
  }

  override send(to: number, bytes: Uint8Array, owned: boolean): Promise<void> {
    return this.#whole.send(this.#ranks[to], bytes, owned);
  }

  override receive(from: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.#whole.receive(this.#ranks[from], into);
  }
}
