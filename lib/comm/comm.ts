/**
 * `Comm`: the communicator object users hold. It checks arguments, turns mpi4py-style positional parameters
 * or an options object into one shape, encodes values or views buffers, and delegates to the point-to-point
 * engine (and to `collectives/`).
 *
 * @module
 */

import {
  ANY_SOURCE,
  ANY_TAG,
  COMM_TYPE_SHARED,
  CONGRUENT,
  IDENT,
  PROC_NULL,
  TAG_UB,
  UNDEFINED,
} from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import type { Engine, Received } from "../p2p/engine.ts";
import { nextTurn, Request } from "../p2p/request.ts";
import { Status } from "../p2p/status.ts";
import { toByteView } from "../wire/buffers.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { HEADER_SIZE } from "../wire/frame.ts";
import type { Activities } from "./activity.ts";
import type { ContextIds, Contexts } from "./context.ts";
import { checkGroup, compareMembers, Group } from "./group.ts";
import { checkDest, checkRecvTag, checkRoot, checkSendTag, checkSource, namedArgs } from "./args.ts";
import { allgatherBuffer, allgatherValue, allgathervBuffer } from "../collectives/allgather.ts";
import { allreduceBuffer, allreduceValue } from "../collectives/allreduce.ts";
import { alltoallBuffer, alltoallValue, alltoallvBuffer } from "../collectives/alltoall.ts";
import { barrier } from "../collectives/barrier.ts";
import { bcastBuffer, bcastValue } from "../collectives/bcast.ts";
import { type Channel, Collectives, type Run, type Shape } from "../collectives/channel.ts";
import { gatherBuffer, gatherValue, gathervBuffer } from "../collectives/gather.ts";
import { MAX, type Op, type OpLike, SUM, toOp } from "../collectives/ops.ts";
import { reduceBuffer, reduceValue } from "../collectives/reduce.ts";
import { reduceScatterBlockBuffer, reduceScatterBuffer } from "../collectives/reduce_scatter.ts";
import { exscanBuffer, exscanValue, scanBuffer, scanValue } from "../collectives/scan.ts";
import { scatterBuffer, scatterValue, scattervBuffer } from "../collectives/scatter.ts";
import type { SharedMemory } from "../collectives/shared.ts";
import { SubgroupChannel } from "../collectives/subgroup.ts";

/** What every communicator of a process shares. */
export interface Job {
  engine: Engine;
  activities: Activities;
  /** Ends the whole job with `code`; never resolves. */
  abort(code: number, reason: string): Promise<never>;
  /** Host name of every world rank, indexed by world rank. */
  hostnames: readonly string[];
  /** This process's context ids, which new communicators agree on. */
  contextIds: ContextIds;
  /** Host-shared memory for the collectives of communicators within one host, where it can be mapped. */
  shared?: SharedMemory;
}

export type { Contexts } from "./context.ts";

/** Whether a communicator may be used: `freed` by `Free`, `null` for `COMM_NULL`. */
type CommState = "active" | "freed" | "null";

const SEND_NAMES = ["dest", "tag"] as const;
const RECV_NAMES = ["source", "tag", "status"] as const;
const PROBE_NAMES = RECV_NAMES;
const SENDRECV_NAMES = ["dest", "sendtag", "source", "recvtag", "status"] as const;
const ROOT_NAMES = ["root"] as const;
const OP_NAMES = ["op"] as const;
const REDUCE_NAMES = ["op", "root"] as const;
const SPLIT_NAMES = ["color", "key"] as const;
const KEY_NAMES = ["key"] as const;
const TAG_NAMES = ["tag"] as const;
const REDUCE_SCATTER_NAMES = ["recvcounts", "op"] as const;

/** What each rank contributes to `Split`: its colour, its key and its context id proposal. */
type SplitEntry = [color: number, key: number, proposal: number];

/**
 * A communicator: a group of ranks and a private space for their messages.
 *
 * @example Point to point on values
 * ```ts
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * if (comm.size >= 2) {
 *   if (comm.rank === 0) await comm.send({ x: 1, y: 2.0 }, 1, 7);
 *   if (comm.rank === 1) console.log(await comm.recv(0, 7)); // { x: 1, y: 2 }
 * }
 * ```
 */
export class Comm {
  /** @internal */
  readonly job: Job;
  /** @internal World rank of each member, indexed by rank in this communicator. */
  readonly members: readonly number[];
  /** @internal */
  readonly contexts: Contexts;
  #rank: number;
  #name: string;
  #state: CommState = "active";
  /** This communicator's collective sequence, made on the first collective call. */
  #collectives: Collectives | undefined;

  /** @internal Communicators are made by `Dup`, `Split` and `Create`, or are `COMM_WORLD`/`COMM_SELF`. */
  constructor(job: Job, members: readonly number[], rank: number, contexts: Contexts, name: string) {
    this.job = job;
    this.members = members;
    this.contexts = contexts;
    this.#rank = rank;
    this.#name = name;
  }

  /** This process's rank in the communicator. */
  get rank(): number {
    this.#live("rank");
    return this.#rank;
  }

  /** Number of ranks in the communicator. */
  get size(): number {
    this.#live("size");
    return this.members.length;
  }

  /** This process's rank in the communicator. */
  Get_rank(): number {
    this.#live("Get_rank");
    return this.#rank;
  }

  /** Number of ranks in the communicator. */
  Get_size(): number {
    this.#live("Get_size");
    return this.members.length;
  }

  /** The communicator's name, such as `"COMM_WORLD"` or `"Dup(COMM_WORLD)"`. */
  Get_name(): string {
    this.#live("Get_name");
    return this.#name;
  }

  /** Renames the communicator (names show in error messages and hang reports). */
  Set_name(name: string): void {
    this.#live("Set_name");
    this.#name = String(name);
  }

  /** The communicator's name; assigning it is `Set_name`. */
  get name(): string {
    this.#live("name");
    return this.#name;
  }

  set name(name: string) {
    this.Set_name(name);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Communicators and groups. Making a communicator is a collective on this one: every rank calls it, in the
  // same order as its other collectives here (see context.ts for how the members agree on its context ids).

  /**
   * A new communicator with the same ranks and a context of its own: traffic on it never matches receives on
   * this one, whatever the tags.
   *
   * @example A library's private communicator
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const mine = await MPI.COMM_WORLD.Dup();
   * await mine.barrier();
   * mine.Free();
   * ```
   */
  Dup(): Promise<Comm> {
    return this.#collective(
      "Dup",
      false,
      (shape) => (channel) =>
        this.#agreeHighest(shape, channel).then((contexts) =>
          new Comm(this.job, this.members, this.#rank, contexts, `Dup(${this.#name})`)
        ),
    );
  }

  /**
   * Splits the ranks by `color` (an integer from 0) into one new communicator per colour, ranked by `key`
   * (default 0) and then by rank here. A rank that passes `UNDEFINED` as its colour gets `COMM_NULL`.
   * `Split({ color, key })` works too.
   *
   * @example Rows of a grid of 2 columns
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const row = await world.Split(Math.floor(world.rank / 2), world.rank);
   * console.log(`world rank ${world.rank} is rank ${row.rank} of its row`);
   * ```
   */
  Split(color?: number | { color?: number; key?: number }, key?: number): Promise<Comm> {
    return this.#collective("Split", false, (shape) => {
      const args = namedArgs("Split", SPLIT_NAMES, trim([color, key]));
      const checkedColor = checkColor("Split", args.color ?? 0);
      const checkedKey = checkKey("Split", args.key ?? 0);
      return this.#split(shape, checkedColor, checkedKey, (c) => `Split(${this.#name}, color ${c})`);
    });
  }

  /**
   * Splits the ranks by where they run: with `COMM_TYPE_SHARED`, one communicator per host, ranked by `key`
   * (default 0) and then by rank here. `UNDEFINED` as `splitType` gives `COMM_NULL`.
   *
   * @example The ranks on this host
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const node = await MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED);
   * console.log(`${node.size} ranks run on ${MPI.Get_processor_name()}`);
   * ```
   */
  Split_type(splitType: number, key?: number | { key?: number }): Promise<Comm> {
    return this.#collective("Split_type", false, (shape) => {
      const args = namedArgs("Split_type", KEY_NAMES, trim([key]));
      const checkedKey = checkKey("Split_type", args.key ?? 0);
      let color: number;
      if (splitType === UNDEFINED) {
        color = UNDEFINED;
      } else if (splitType === COMM_TYPE_SHARED) {
        // Every rank holds the same table of host names: the colour is the lowest rank on this rank's host.
        const hosts = this.members.map((member) => this.job.hostnames[member]);
        color = hosts.indexOf(hosts[this.#rank]);
      } else {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `Split_type: split_type ${String(splitType)} is neither COMM_TYPE_SHARED nor UNDEFINED`,
        );
      }
      return this.#split(shape, color, checkedKey, () => `Split_type(${this.#name}, COMM_TYPE_SHARED)`);
    });
  }

  /**
   * A communicator of the processes of `group` (a subgroup of this communicator's group), ranked in the
   * group's order. Every rank here calls it with the same group; those outside it get `COMM_NULL`.
   *
   * @example Everyone but rank 0
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const workers = await world.Create(world.Get_group().Excl([0]));
   * if (world.rank === 0) console.log(workers === MPI.COMM_NULL); // true
   * ```
   */
  Create(group: Group): Promise<Comm> {
    return this.#collective("Create", false, (shape) => {
      this.#ranksOf("Create", group);
      const rank = group.members.indexOf(this.members[this.#rank]);
      return (channel) =>
        this.#agreeHighest(shape, channel).then((contexts) =>
          rank < 0 ? COMM_NULL : new Comm(this.job, group.members, rank, contexts, `Create(${this.#name})`)
        );
    });
  }

  /**
   * A communicator of the processes of `group` (a subgroup of this communicator's group), ranked in the
   * group's order, made by the members of `group` alone (MPI-3's `MPI_Comm_create_group`): the other ranks
   * here do not call it, and may be busy with anything else. `tag` (default 0, in 0..TAG_UB) tells apart
   * calls that are in flight at once on this communicator with overlapping groups. A process outside `group`
   * that calls it gets `COMM_NULL` at once, without a word to anyone (as MPICH does).
   *
   * How the members agree on the new context ids: as `Create` does, by an allreduce MAX of their proposals
   * (see context.ts), but among the members only, so not on this communicator's collective sequence, which
   * the other ranks never join. The allreduce runs on a channel of its own on this communicator's collective
   * context, whose messages carry the tag `-2 - tag` (negative: the collective sequence uses 0..TAG_UB, and
   * -1 is ANY_TAG; TAG_UB shares -2 with tag 0) and name their sender by its rank here, which is unique,
   * unlike its rank in the group. So they never meet this communicator's collectives or point-to-point
   * traffic, nor the messages of another `Create_group` made before or after on an overlapping group.
   * Each process takes part in one context agreement at a time, in call order, so calls in flight at once on
   * overlapping groups must be started in the same order by the processes they share, whatever the tags.
   *
   * @example The first half of the ranks, without the second half taking part
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const half = Math.ceil(world.size / 2);
   * if (world.rank < half) {
   *   const first = await world.Create_group(world.Get_group().Range_incl([[0, half - 1, 1]]), 7);
   *   console.log(`rank ${first.rank} of ${first.size}`); // rank world.rank of half
   * }
   * ```
   */
  Create_group(group: Group, tag?: number | { tag?: number }): Promise<Comm> {
    const where = "Create_group";
    let ranks: number[];
    let checkedTag: number;
    try {
      this.#live(where);
      ranks = this.#ranksOf(where, group);
      const args = namedArgs(where, TAG_NAMES, trim([tag]));
      checkedTag = checkSendTag(where, args.tag ?? 0);
    } catch (error) {
      return Promise.reject(error);
    }
    const rank = ranks.indexOf(this.#rank);
    if (rank < 0) return Promise.resolve(COMM_NULL);
    const channel = new SubgroupChannel(
      { engine: this.job.engine, members: this.members, rank: this.#rank, context: this.contexts.collective },
      ranks,
      where,
      -2 - (checkedTag % TAG_UB),
      false,
    );
    return this.job.activities.track(
      () => `${where}(tag=${checkedTag}) among ${ranks.length} ranks of ${this.#name}`,
      this.#agreeHighest({ rank, size: ranks.length }, channel).then((contexts) =>
        new Comm(this.job, group.members, rank, contexts, `Create_group(${this.#name})`)
      ),
    );
  }

  /**
   * The group of this communicator's ranks, in rank order.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const group = MPI.COMM_WORLD.Get_group();
   * console.log(group.size === MPI.COMM_WORLD.size, group.rank === MPI.COMM_WORLD.rank); // true true
   * ```
   */
  Get_group(): Group {
    this.#live("Get_group");
    return new Group(this.members, this.members[this.#rank]);
  }

  /** Same as {@linkcode Comm.Get_group}. */
  get group(): Group {
    return this.Get_group();
  }

  /**
   * Gives the communicator back: any later call on it fails with ERR_COMM (calls already made complete).
   * Local: no other rank waits for it. COMM_WORLD and COMM_SELF cannot be freed.
   */
  Free(): void {
    this.#live("Free");
    if (this.job.contextIds.isPredefined(this.contexts.p2p)) {
      throw mpiError(ErrorCode.ERR_COMM, `Free: ${this.#name} is predefined and cannot be freed`);
    }
    this.#state = "freed";
    this.#collectives = undefined;
  }

  /**
   * `IDENT` (the same communicator), `CONGRUENT` (same ranks in the same order, another context),
   * `SIMILAR` (same processes, another order) or `UNEQUAL`.
   */
  Compare(comm: Comm): number {
    this.#live("Compare");
    if (!(comm instanceof Comm)) {
      throw mpiError(ErrorCode.ERR_COMM, `Compare: comm is not a communicator, got ${String(comm)}`);
    }
    comm.#live("Compare");
    if (comm === this || comm.contexts.p2p === this.contexts.p2p) return IDENT;
    const result = compareMembers(this.members, comm.members);
    return result === IDENT ? CONGRUENT : result;
  }

  /** Same as {@linkcode Comm.Dup}. */
  dup(): Promise<Comm> {
    return this.Dup();
  }

  /** Same as {@linkcode Comm.Split}. */
  split(color?: number | { color?: number; key?: number }, key?: number): Promise<Comm> {
    return this.Split(color, key);
  }

  /** Same as {@linkcode Comm.Split_type}. */
  split_type(splitType: number, key?: number | { key?: number }): Promise<Comm> {
    return this.Split_type(splitType, key);
  }

  /** Same as {@linkcode Comm.Create}. */
  create(group: Group): Promise<Comm> {
    return this.Create(group);
  }

  /** Same as {@linkcode Comm.Create_group}. */
  create_group(group: Group, tag?: number | { tag?: number }): Promise<Comm> {
    return this.Create_group(group, tag);
  }

  /** Same as {@linkcode Comm.Free}. */
  free(): void {
    this.Free();
  }

  /** Same as {@linkcode Comm.Compare}. */
  compare(comm: Comm): number {
    return this.Compare(comm);
  }

  /**
   * The run of `Split` and `Split_type`, once the arguments are checked: an allgather of every rank's colour,
   * key and context proposal, from which every rank works out its own communicator.
   */
  #split(shape: Shape, color: number, key: number, name: (color: number) => string): Run<Comm> {
    return (channel) =>
      this.job.contextIds.agree(
        (proposal) => allgatherValue<SplitEntry>(shape, [color, key, proposal])(channel),
        (entries) => entries.reduce((highest, entry) => Math.max(highest, entry[2]), 0),
      ).then(({ result, contexts }) => {
        if (color === UNDEFINED) return COMM_NULL;
        const ranks: number[] = [];
        result.forEach((entry, rank) => {
          if (entry[0] === color) ranks.push(rank);
        });
        ranks.sort((a, b) => result[a][1] - result[b][1] || a - b);
        const members = ranks.map((rank) => this.members[rank]);
        return new Comm(this.job, members, ranks.indexOf(this.#rank), contexts, name(color));
      });
  }

  /**
   * Agrees with the other ranks of `channel` on a new communicator's context ids: an allreduce MAX of their
   * proposals (see context.ts).
   */
  #agreeHighest(shape: Shape, channel: Channel): Promise<Contexts> {
    return this.job.contextIds.agree(
      (proposal) => allreduceValue(shape, proposal, MAX)(channel),
      (highest) => highest,
    ).then(({ contexts }) => contexts);
  }

  /** The rank here of each member of `group`; ERR_GROUP when it is no group, or holds a stranger. */
  #ranksOf(where: string, group: Group): number[] {
    checkGroup(where, group);
    const here = new Map(this.members.map((member, rank) => [member, rank]));
    return group.members.map((member) => {
      const rank = here.get(member);
      if (rank === undefined) {
        throw mpiError(
          ErrorCode.ERR_GROUP,
          `${where}: the group holds world rank ${member}, which is not in ${this.#name}`,
        );
      }
      return rank;
    });
  }

  /** Throws ERR_COMM, naming the call and the communicator, when this is COMM_NULL or has been freed. */
  #live(where: string): void {
    if (this.#state === "active") return;
    throw mpiError(
      ErrorCode.ERR_COMM,
      this.#state === "null"
        ? `${where}: the communicator is COMM_NULL`
        : `${where}: communicator ${this.#name} has been freed`,
    );
  }

  /** @internal Makes `COMM_NULL`: every call on it fails with ERR_COMM. */
  static makeNull(): Comm {
    const comm = new Comm(NO_JOB, [], UNDEFINED, { p2p: -1, collective: -1 }, "COMM_NULL");
    comm.#state = "null";
    return comm;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Point to point on values

  /**
   * Sends a value (anything msgpack-able: see the module docs) to `dest`. Resolves once the value is out of
   * the caller's hands. `send(obj, { dest, tag })` works too.
   */
  send(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return this.#send("send", obj, dest, tag, false, false);
  }

  /** Sends a value and resolves once the receiver has matched it. */
  ssend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return this.#send("ssend", obj, dest, tag, false, true);
  }

  /** Starts sending a value; the request completes as `send` would. */
  isend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(this.#send("isend", obj, dest, tag, false, false));
  }

  /** Starts a synchronous send; the request completes once the receiver has matched it. */
  issend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(this.#send("issend", obj, dest, tag, false, true));
  }

  /**
   * Receives a value from `source` (default ANY_SOURCE) with `tag` (default ANY_TAG); fills `status` if given.
   * `recv({ source, tag, status })` works too.
   */
  // deno-lint-ignore no-explicit-any
  recv<T = any>(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<T> {
    const args = receiveArgs("recv", source, tag, status);
    return this.#startRecv<T>("recv", args.source, args.tag, args.status).promise;
  }

  /** Starts receiving a value; `await` the request (or `wait()`) for it. */
  // deno-lint-ignore no-explicit-any
  irecv<T = any>(source?: number | { source?: number; tag?: number }, tag?: number): Request<T> {
    const args = receiveArgs("irecv", source, tag);
    return toRequest((status) => this.#startRecv<T>("irecv", args.source, args.tag, status));
  }

  /** Sends `sendobj` to `dest` and receives a value from `source`, without deadlock when peers pair up. */
  // deno-lint-ignore no-explicit-any
  async sendrecv<T = any>(
    sendobj: unknown,
    dest: number | { dest: number; sendtag?: number; source?: number; recvtag?: number; status?: Status },
    sendtag?: number,
    source?: number,
    recvtag?: number,
    status?: Status,
  ): Promise<T> {
    const args = namedArgs("sendrecv", SENDRECV_NAMES, trim([dest, sendtag, source, recvtag, status]));
    const receive = this.#startRecv<T>(
      "sendrecv",
      args.source,
      args.recvtag,
      args.status as Status | undefined,
    );
    receive.promise.catch(() => {}); // raised below, after the send
    await this.#sendValue("sendrecv", sendobj, args.dest, args.sendtag ?? 0, false);
    return receive.promise;
  }

  /** Waits until a matching message has arrived and returns its envelope (it stays to be received). */
  async probe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Status> {
    const args = namedArgs("probe", PROBE_NAMES, trim([source, tag, status]));
    const pattern = this.#pattern("probe", args.source, args.tag);
    const result = (args.status as Status | undefined) ?? new Status();
    if (pattern.source === PROC_NULL) return procNullStatus(result);
    const arrival = await this.job.activities.track(
      `probe(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${this.#name}`,
      this.job.engine.probe(pattern),
    );
    fillStatus(result, arrival.source, arrival.tag, arrival.size);
    return result;
  }

  /** Says whether a matching message has arrived, without waiting for one (it lets pending I/O run once). */
  async iprobe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<boolean> {
    const args = namedArgs("iprobe", PROBE_NAMES, trim([source, tag, status]));
    const pattern = this.#pattern("iprobe", args.source, args.tag);
    const result = args.status as Status | undefined;
    if (pattern.source === PROC_NULL) {
      if (result) procNullStatus(result);
      return true;
    }
    let arrival = this.job.engine.peek(pattern);
    if (!arrival) {
      await nextTurn();
      arrival = this.job.engine.peek(pattern);
    }
    if (!arrival) return false;
    if (result) fillStatus(result, arrival.source, arrival.tag, arrival.size);
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Point to point on buffers

  /** Sends the bytes of a typed array (or `[array, count]`) with no encoding. */
  Send(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return this.#send("Send", buf, dest, tag, true, false);
  }

  /** Sends the bytes of a typed array and resolves once the receiver has matched them. */
  Ssend(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return this.#send("Ssend", buf, dest, tag, true, true);
  }

  /** Starts sending the bytes of a typed array; do not change it until the request completes. */
  Isend(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(this.#send("Isend", buf, dest, tag, true, false));
  }

  /** Starts a synchronous buffer send. */
  Issend(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(this.#send("Issend", buf, dest, tag, true, true));
  }

  /**
   * Receives bytes into `buf` (a typed array, an ArrayBuffer or `[array, count]`). A longer message is an
   * ERR_TRUNCATE error; `status.Get_count()` gives the bytes received.
   */
  Recv(
    buf: unknown,
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<void> {
    const args = receiveArgs("Recv", source, tag, status);
    return this.#startRecvBuffer("Recv", buf, args.source, args.tag, args.status).promise;
  }

  /** Starts receiving bytes into `buf`. */
  Irecv(buf: unknown, source?: number | { source?: number; tag?: number }, tag?: number): Request<void> {
    const args = receiveArgs("Irecv", source, tag);
    return toRequest((status) => this.#startRecvBuffer("Irecv", buf, args.source, args.tag, status));
  }

  /** Sends `sendbuf` to `dest` and receives into `recvbuf` from `source`. */
  async Sendrecv(
    sendbuf: unknown,
    dest: number,
    sendtag = 0,
    recvbuf: unknown = undefined,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
    status?: Status,
  ): Promise<void> {
    const receive = this.#startRecvBuffer("Sendrecv", recvbuf, source, recvtag, status);
    receive.promise.catch(() => {}); // raised below, after the send
    await this.#sendBuffer("Sendrecv", sendbuf, dest, sendtag, false);
    await receive.promise;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Collectives on values. Every rank must make the same collective calls in the same order; several may be
  // in flight at once (the non-blocking ones), and they never match point-to-point traffic.

  /**
   * Waits until every rank has called `barrier`.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * await MPI.COMM_WORLD.barrier();
   * ```
   */
  barrier(): Promise<void> {
    return this.#collective("barrier", true, barrier);
  }

  /** Starts a barrier; the request completes once every rank has started it. */
  ibarrier(): Request<void> {
    return new Request(this.barrier());
  }

  /**
   * Sends the root's value to every rank; each returns it (the root its own object). `bcast(obj, { root })`
   * works too.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const data = await comm.bcast(comm.rank === 0 ? { key1: [7, 2.72], key2: ["abc", "xyz"] } : null, 0);
   * ```
   */
  bcast<T>(obj: T, root?: number | { root?: number }): Promise<T> {
    return this.#rooted("bcast", false, root, (shape, root) => bcastValue(shape, obj, root));
  }

  /** Starts a broadcast of a value; see {@linkcode Comm.bcast}. */
  ibcast<T>(obj: T, root?: number | { root?: number }): Request<T> {
    return new Request(this.bcast(obj, root));
  }

  /**
   * Gives item i of the root's list (exactly `size` items) to rank i. Other ranks pass anything (`null`).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const items = comm.rank === 0 ? Array.from({ length: comm.size }, (_, i) => (i + 1) ** 2) : null;
   * console.log(await comm.scatter(items, 0)); // (rank + 1) ** 2
   * ```
   */
  scatter<T = unknown>(sendobj: unknown, root?: number | { root?: number }): Promise<T> {
    return this.#rooted("scatter", false, root, (shape, root) => scatterValue<T>(shape, sendobj, root));
  }

  /** Starts a scatter of values; see {@linkcode Comm.scatter}. */
  iscatter<T = unknown>(sendobj: unknown, root?: number | { root?: number }): Request<T> {
    return new Request(this.scatter<T>(sendobj, root));
  }

  /**
   * Collects every rank's value at the root, as an array by rank; other ranks get `null`.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = await comm.gather((comm.rank + 1) ** 2, 0);
   * if (comm.rank === 0) console.log(all); // [1, 4, 9, ...]
   * ```
   */
  gather<T>(sendobj: T, root?: number | { root?: number }): Promise<T[] | null> {
    return this.#rooted("gather", false, root, (shape, root) => gatherValue(shape, sendobj, root));
  }

  /** Starts a gather of values; see {@linkcode Comm.gather}. */
  igather<T>(sendobj: T, root?: number | { root?: number }): Request<T[] | null> {
    return new Request(this.gather(sendobj, root));
  }

  /**
   * Collects every rank's value on every rank, as an array by rank.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * console.log(await MPI.COMM_WORLD.allgather(MPI.COMM_WORLD.rank)); // [0, 1, ..., size - 1]
   * ```
   */
  allgather<T>(sendobj: T): Promise<T[]> {
    return this.#collective("allgather", false, (shape) => allgatherValue(shape, sendobj));
  }

  /** Starts an allgather of values; see {@linkcode Comm.allgather}. */
  iallgather<T>(sendobj: T): Request<T[]> {
    return new Request(this.allgather(sendobj));
  }

  /**
   * Sends item i of this rank's list (exactly `size` items) to rank i; returns the items sent here, by rank.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const got = await comm.alltoall(Array.from({ length: comm.size }, (_, i) => `${comm.rank}->${i}`));
   * console.log(got[0]); // "0->rank"
   * ```
   */
  alltoall<T = unknown>(sendobj: readonly unknown[]): Promise<T[]> {
    return this.#collective("alltoall", false, (shape) => alltoallValue<T>(shape, sendobj));
  }

  /** Starts an all-to-all of values; see {@linkcode Comm.alltoall}. */
  ialltoall<T = unknown>(sendobj: readonly unknown[]): Request<T[]> {
    return new Request(this.alltoall<T>(sendobj));
  }

  /**
   * Combines every rank's value with `op` (default SUM) at the root; other ranks get `null`.
   * `reduce(obj, { op, root })` works too.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const total = await comm.reduce(comm.rank, MPI.SUM, 0);
   * if (comm.rank === 0) console.log(total); // size * (size - 1) / 2
   * ```
   */
  reduce<T>(sendobj: T, op?: OpLike | { op?: OpLike; root?: number }, root?: number): Promise<T | null> {
    return this.#collective("reduce", false, (shape) => {
      const args = namedArgs("reduce", REDUCE_NAMES, trim([op, root]));
      return reduceValue(shape, sendobj, toOp("reduce", args.op ?? SUM), this.#root("reduce", args.root));
    });
  }

  /** Starts a reduction of values; see {@linkcode Comm.reduce}. */
  ireduce<T>(sendobj: T, op?: OpLike | { op?: OpLike; root?: number }, root?: number): Request<T | null> {
    return new Request(this.reduce(sendobj, op, root));
  }

  /**
   * Combines every rank's value with `op` (default SUM); every rank gets the result.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * console.log(await comm.allreduce([comm.rank, 1], MPI.SUM)); // [size * (size - 1) / 2, size]
   * ```
   */
  allreduce<T>(sendobj: T, op?: OpLike | { op?: OpLike }): Promise<T> {
    return this.#reduction("allreduce", false, op, (shape, op) => allreduceValue(shape, sendobj, op));
  }

  /** Starts an allreduce of values; see {@linkcode Comm.allreduce}. */
  iallreduce<T>(sendobj: T, op?: OpLike | { op?: OpLike }): Request<T> {
    return new Request(this.allreduce(sendobj, op));
  }

  /**
   * Inclusive prefix reduction: rank r gets the values of ranks 0..r combined with `op` (default SUM).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * console.log(await MPI.COMM_WORLD.scan(1)); // rank + 1
   * ```
   */
  scan<T>(sendobj: T, op?: OpLike | { op?: OpLike }): Promise<T> {
    return this.#reduction("scan", false, op, (shape, op) => scanValue(shape, sendobj, op));
  }

  /**
   * Exclusive prefix reduction: rank r gets the values of ranks 0..r-1 combined; rank 0 gets `null`.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * console.log(await MPI.COMM_WORLD.exscan(1)); // rank (null on rank 0)
   * ```
   */
  exscan<T>(sendobj: T, op?: OpLike | { op?: OpLike }): Promise<T | null> {
    return this.#reduction("exscan", false, op, (shape, op) => exscanValue(shape, sendobj, op));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Collectives on buffers: the bytes of typed arrays, no encoding, received into the caller's arrays.
  // Buffers are a TypedArray, an ArrayBuffer or [buf, count]; the v-variants take [buf, counts, displs?] in
  // elements. IN_PLACE works where MPI allows it.

  /** Same as {@linkcode Comm.barrier}. */
  Barrier(): Promise<void> {
    return this.barrier();
  }

  /** Same as {@linkcode Comm.ibarrier}. */
  Ibarrier(): Request<void> {
    return this.ibarrier();
  }

  /**
   * Copies the root's buffer into `buf` on every rank. A `buf` of another size is an error (ERR_TRUNCATE if
   * smaller, ERR_COUNT if larger) on that rank.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const data = comm.rank === 0 ? Float64Array.from([0, 1, 2, 3]) : new Float64Array(4);
   * await comm.Bcast(data, 0);
   * ```
   */
  Bcast(buf: unknown, root?: number | { root?: number }): Promise<void> {
    return this.#rooted("Bcast", true, root, (shape, root) => bcastBuffer(shape, buf, root));
  }

  /** Starts a buffer broadcast; see {@linkcode Comm.Bcast}. Leave `buf` alone until the request completes. */
  Ibcast(buf: unknown, root?: number | { root?: number }): Request<void> {
    return new Request(this.Bcast(buf, root));
  }

  /**
   * Gives block i of the root's `sendbuf` (cut into `size` equal blocks) to rank i's `recvbuf`. Other ranks
   * pass `null` as `sendbuf`; the root may pass `IN_PLACE` as `recvbuf`.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? Int32Array.from({ length: 2 * comm.size }, (_, i) => i) : null;
   * const mine = new Int32Array(2);
   * await comm.Scatter(all, mine, 0); // [2 * rank, 2 * rank + 1]
   * ```
   */
  Scatter(sendbuf: unknown, recvbuf: unknown, root?: number | { root?: number }): Promise<void> {
    return this.#rooted("Scatter", true, root, (shape, root) => scatterBuffer(shape, sendbuf, recvbuf, root));
  }

  /**
   * Starts a Scatter; see {@linkcode Comm.Scatter}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? Int32Array.from({ length: comm.size }, (_, i) => 10 * i) : null;
   * const mine = new Int32Array(1);
   * await comm.Iscatter(all, mine, 0).wait(); // [10 * rank]
   * ```
   */
  Iscatter(sendbuf: unknown, recvbuf: unknown, root?: number | { root?: number }): Request<void> {
    return new Request(this.Scatter(sendbuf, recvbuf, root));
  }

  /**
   * Gives rank i the block of `counts[i]` elements at `displs[i]` of the root's `[sendbuf, counts, displs]`
   * (without `displs`, the blocks are back to back).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const counts = Array.from({ length: comm.size }, (_, i) => i + 1);
   * const all = new Float64Array(counts.reduce((a, b) => a + b, 0));
   * const mine = new Float64Array(comm.rank + 1);
   * await comm.Scatterv(comm.rank === 0 ? [all, counts] : null, mine, 0);
   * ```
   */
  Scatterv(sendbuf: unknown, recvbuf: unknown, root?: number | { root?: number }): Promise<void> {
    return this.#rooted(
      "Scatterv",
      true,
      root,
      (shape, root) => scattervBuffer(shape, sendbuf, recvbuf, root),
    );
  }

  /**
   * Collects every rank's `sendbuf` into block i of the root's `recvbuf` (other ranks pass `null`); the root
   * may pass `IN_PLACE` as `sendbuf` when its block is already in place.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? new Int32Array(comm.size) : null;
   * await comm.Gather(Int32Array.of(comm.rank * 10), all, 0); // [0, 10, 20, ...] at the root
   * ```
   */
  Gather(sendbuf: unknown, recvbuf: unknown, root?: number | { root?: number }): Promise<void> {
    return this.#rooted("Gather", true, root, (shape, root) => gatherBuffer(shape, sendbuf, recvbuf, root));
  }

  /**
   * Starts a Gather; see {@linkcode Comm.Gather}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? new Int32Array(comm.size) : null;
   * await comm.Igather(Int32Array.of(comm.rank), all, 0).wait(); // [0, 1, 2, ...] at the root
   * ```
   */
  Igather(sendbuf: unknown, recvbuf: unknown, root?: number | { root?: number }): Request<void> {
    return new Request(this.Gather(sendbuf, recvbuf, root));
  }

  /** Collects rank i's `sendbuf` into the block of `counts[i]` elements at `displs[i]` of the root's recvbuf. */
  Gatherv(sendbuf: unknown, recvbuf: unknown, root?: number | { root?: number }): Promise<void> {
    return this.#rooted("Gatherv", true, root, (shape, root) => gathervBuffer(shape, sendbuf, recvbuf, root));
  }

  /**
   * Collects every rank's `sendbuf` into block i of `recvbuf` on every rank (`IN_PLACE` as `sendbuf`: this
   * rank's block is already in `recvbuf`).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = new Float64Array(comm.size);
   * await comm.Allgather(Float64Array.of(comm.rank), all); // [0, 1, ..., size - 1]
   * ```
   */
  Allgather(sendbuf: unknown, recvbuf: unknown): Promise<void> {
    return this.#collective("Allgather", true, (shape) => allgatherBuffer(shape, sendbuf, recvbuf));
  }

  /** Starts an Allgather; see {@linkcode Comm.Allgather}. */
  Iallgather(sendbuf: unknown, recvbuf: unknown): Request<void> {
    return new Request(this.Allgather(sendbuf, recvbuf));
  }

  /** Allgather with a block of `counts[i]` elements at `displs[i]` of `[recvbuf, counts, displs]` per rank. */
  Allgatherv(sendbuf: unknown, recvbuf: unknown): Promise<void> {
    return this.#collective("Allgatherv", true, (shape) => allgathervBuffer(shape, sendbuf, recvbuf));
  }

  /**
   * Sends block i of `sendbuf` to rank i and receives rank i's block into block i of `recvbuf`.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const out = Int32Array.from({ length: comm.size }, (_, i) => 100 * comm.rank + i);
   * const got = new Int32Array(comm.size);
   * await comm.Alltoall(out, got); // got[i] = 100 * i + rank
   * ```
   */
  Alltoall(sendbuf: unknown, recvbuf: unknown): Promise<void> {
    return this.#collective("Alltoall", true, (shape) => alltoallBuffer(shape, sendbuf, recvbuf));
  }

  /**
   * Starts an Alltoall; see {@linkcode Comm.Alltoall}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const got = new Int32Array(comm.size);
   * await comm.Ialltoall(Int32Array.from({ length: comm.size }, (_, i) => 100 * comm.rank + i), got);
   * ```
   */
  Ialltoall(sendbuf: unknown, recvbuf: unknown): Request<void> {
    return new Request(this.Alltoall(sendbuf, recvbuf));
  }

  /** All-to-all with `[sendbuf, counts, displs]` and `[recvbuf, counts, displs]` blocks per rank. */
  Alltoallv(sendbuf: unknown, recvbuf: unknown): Promise<void> {
    return this.#collective("Alltoallv", true, (shape) => alltoallvBuffer(shape, sendbuf, recvbuf));
  }

  /**
   * Combines every rank's typed array element-wise with `op` (default SUM) into the root's `recvbuf`
   * (`IN_PLACE` as the root's `sendbuf`: its input is in `recvbuf`).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const total = comm.rank === 0 ? new Float64Array(2) : null;
   * await comm.Reduce(Float64Array.of(1, comm.rank), total, MPI.SUM, 0);
   * ```
   */
  Reduce(
    sendbuf: unknown,
    recvbuf: unknown,
    op?: OpLike | { op?: OpLike; root?: number },
    root?: number,
  ): Promise<void> {
    return this.#collective("Reduce", true, (shape) => {
      const args = namedArgs("Reduce", REDUCE_NAMES, trim([op, root]));
      return reduceBuffer(
        shape,
        sendbuf,
        recvbuf,
        toOp("Reduce", args.op ?? SUM),
        this.#root("Reduce", args.root),
      );
    });
  }

  /** Starts a Reduce; see {@linkcode Comm.Reduce}. */
  Ireduce(
    sendbuf: unknown,
    recvbuf: unknown,
    op?: OpLike | { op?: OpLike; root?: number },
    root?: number,
  ): Request<void> {
    return new Request(this.Reduce(sendbuf, recvbuf, op, root));
  }

  /**
   * Combines every rank's typed array element-wise with `op` (default SUM) into `recvbuf` on every rank
   * (`IN_PLACE` as `sendbuf`: the input is in `recvbuf`).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const sum = new Float64Array(3);
   * await comm.Allreduce(Float64Array.of(1, 2, comm.rank), sum, MPI.SUM);
   * ```
   */
  Allreduce(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Promise<void> {
    return this.#reduction(
      "Allreduce",
      true,
      op,
      (shape, op) => allreduceBuffer(shape, sendbuf, recvbuf, op),
    );
  }

  /** Starts an Allreduce; see {@linkcode Comm.Allreduce}. */
  Iallreduce(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Request<void> {
    return new Request(this.Allreduce(sendbuf, recvbuf, op));
  }

  /**
   * Reduces `size` blocks element-wise and leaves block i of the result in rank i's `recvbuf` (`sendbuf`
   * holds `size` blocks of `recvbuf`'s length).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const mine = new Int32Array(1);
   * await comm.Reduce_scatter_block(new Int32Array(comm.size).fill(1), mine, MPI.SUM); // [size]
   * ```
   */
  Reduce_scatter_block(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Promise<void> {
    return this.#reduction(
      "Reduce_scatter_block",
      true,
      op,
      (shape, op) => reduceScatterBlockBuffer(shape, sendbuf, recvbuf, op),
    );
  }

  /**
   * Starts a Reduce_scatter_block; see {@linkcode Comm.Reduce_scatter_block}. Leave the buffers alone until
   * the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const mine = new Int32Array(1);
   * await comm.Ireduce_scatter_block(new Int32Array(comm.size).fill(2), mine, MPI.SUM); // [2 * size]
   * ```
   */
  Ireduce_scatter_block(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Request<void> {
    return new Request(this.Reduce_scatter_block(sendbuf, recvbuf, op));
  }

  /**
   * Reduces `sendbuf` element-wise over every rank and leaves block i of the result, of `recvcounts[i]`
   * elements, in rank i's `recvbuf` (which must hold exactly that many): `sendbuf` holds the blocks back to
   * back, `sum(recvcounts)` elements. Without `recvcounts` (or with `null`), each rank's block is as long as
   * its own `recvbuf`, as mpi4py infers it (the lengths are allgathered first). With `IN_PLACE` as
   * `sendbuf`, `recvbuf` holds the input and gets the result in its first `recvcounts[rank]` elements
   * (`recvcounts` is then required). `Reduce_scatter(sendbuf, recvbuf, { recvcounts, op })` works too.
   *
   * @example Rank i gets i + 1 elements of the sum
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const counts = Array.from({ length: comm.size }, (_, i) => i + 1);
   * const all = new Float64Array(counts.reduce((a, b) => a + b, 0)).fill(1);
   * const mine = new Float64Array(comm.rank + 1);
   * await comm.Reduce_scatter(all, mine, counts, MPI.SUM); // every element is size
   * await comm.Reduce_scatter(all, mine); // the same, the counts taken from each rank's recvbuf
   * ```
   */
  Reduce_scatter(
    sendbuf: unknown,
    recvbuf: unknown,
    recvcounts?: readonly number[] | ArrayLike<number> | null | {
      recvcounts?: readonly number[];
      op?: OpLike;
    },
    op?: OpLike,
  ): Promise<void> {
    return this.#collective("Reduce_scatter", true, (shape) => {
      const args = namedArgs("Reduce_scatter", REDUCE_SCATTER_NAMES, trim([recvcounts, op]));
      return reduceScatterBuffer(
        shape,
        sendbuf,
        recvbuf,
        args.recvcounts,
        toOp("Reduce_scatter", args.op ?? SUM),
      );
    });
  }

  /** Inclusive prefix reduction of typed arrays into `recvbuf`: ranks 0..r on rank r. */
  Scan(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Promise<void> {
    return this.#reduction("Scan", true, op, (shape, op) => scanBuffer(shape, sendbuf, recvbuf, op));
  }

  /**
   * Starts a Scan; see {@linkcode Comm.Scan}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const prefix = new Int32Array(1);
   * await MPI.COMM_WORLD.Iscan(Int32Array.of(1), prefix, MPI.SUM).wait(); // [rank + 1]
   * ```
   */
  Iscan(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Request<void> {
    return new Request(this.Scan(sendbuf, recvbuf, op));
  }

  /** Exclusive prefix reduction of typed arrays: ranks 0..r-1 on rank r; rank 0's `recvbuf` is untouched. */
  Exscan(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Promise<void> {
    return this.#reduction("Exscan", true, op, (shape, op) => exscanBuffer(shape, sendbuf, recvbuf, op));
  }

  /**
   * Starts an Exscan; see {@linkcode Comm.Exscan}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const before = new Int32Array(1);
   * await MPI.COMM_WORLD.Iexscan(Int32Array.of(1), before, MPI.SUM).wait(); // [rank] (untouched on rank 0)
   * ```
   */
  Iexscan(sendbuf: unknown, recvbuf: unknown, op?: OpLike | { op?: OpLike }): Request<void> {
    return new Request(this.Exscan(sendbuf, recvbuf, op));
  }

  /** A rooted collective whose last argument is its root (positional or `{ root }`, 0 by default). */
  #rooted<T>(
    where: string,
    raw: boolean,
    root: number | { root?: number } | undefined,
    run: (shape: Shape, root: number) => Run<T>,
  ): Promise<T> {
    return this.#collective(where, raw, (shape) => {
      const args = namedArgs(where, ROOT_NAMES, trim([root]));
      return run(shape, this.#root(where, args.root));
    });
  }

  /** A reduction whose last argument is its op (positional or `{ op }`, SUM by default): checks it, then runs. */
  #reduction<T>(
    where: string,
    raw: boolean,
    op: OpLike | { op?: OpLike } | undefined,
    run: (shape: Shape, op: Op) => Run<T>,
  ): Promise<T> {
    return this.#collective(where, raw, (shape) => {
      const args = namedArgs(where, OP_NAMES, trim([op]));
      return run(shape, toOp(where, args.op ?? SUM));
    });
  }

  /**
   * Checks a collective's arguments (`prepare` throws before anything is sent, and then the call takes no
   * sequence number), then runs it on the next channel of this communicator's collective sequence.
   */
  #collective<T>(where: string, raw: boolean, prepare: (shape: Shape) => Run<T>): Promise<T> {
    let run: Run<T>;
    try {
      this.#live(where);
      run = prepare({ rank: this.#rank, size: this.members.length });
    } catch (error) {
      return Promise.reject(error);
    }
    this.#collectives ??= new Collectives({
      engine: this.job.engine,
      members: this.members,
      rank: this.#rank,
      context: this.contexts.collective,
      hosts: this.members.map((member) => this.job.hostnames[member]),
      shared: this.job.shared,
    });
    const channel = this.#collectives.open(where, raw);
    return this.job.activities.track(
      () => `${where} (collective #${channel.tag}) on ${this.#name}`,
      run(channel),
    );
  }

  #root(where: string, root: unknown): number {
    return checkRoot(where, root ?? 0, this.members.length);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Everything else

  /** Ends the whole job: every rank exits, and the launcher exits with `errorcode`. */
  Abort(errorcode = 1): Promise<never> {
    try {
      this.#live("Abort");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.job.abort(errorcode, `Abort(${errorcode}) called on ${this.#name}`);
  }

  /** Same as {@linkcode Comm.Abort}. */
  abort(errorcode = 1): Promise<never> {
    return this.Abort(errorcode);
  }

  /** @internal World rank of `rank`. */
  worldRank(rank: number): number {
    return this.members[rank];
  }

  #pattern(where: string, source: unknown, tag: unknown) {
    this.#live(where);
    const checkedSource = checkSource(where, source ?? ANY_SOURCE, this.size);
    const checkedTag = checkRecvTag(where, tag ?? ANY_TAG);
    return {
      context: this.contexts.p2p,
      source: checkedSource,
      tag: checkedTag,
      peer: checkedSource < 0 ? -1 : this.members[checkedSource],
      members: checkedSource < 0 ? this.members : undefined,
    };
  }

  /** Normalises `dest, tag` or `{ dest, tag }` and sends a value or (with `raw`) a buffer. */
  #send(
    where: string,
    data: unknown,
    dest: unknown,
    tag: number | undefined,
    raw: boolean,
    sync: boolean,
  ): Promise<void> {
    if (typeof dest === "object" && dest !== null) {
      const args = namedArgs(where, SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
      dest = args.dest;
      tag = args.tag as number | undefined;
    }
    return raw
      ? this.#sendBuffer(where, data, dest, tag ?? 0, sync)
      : this.#sendValue(where, data, dest, tag ?? 0, sync);
  }

  #sendValue(where: string, obj: unknown, dest: unknown, tag: unknown, sync: boolean): Promise<void> {
    let payload: Uint8Array;
    let peer: number;
    let checkedTag: number;
    try {
      this.#live(where);
      const checkedDest = checkDest(where, dest, this.size);
      checkedTag = checkSendTag(where, tag);
      payload = encodeValue(obj, { where, headroom: HEADER_SIZE });
      if (checkedDest === PROC_NULL) return Promise.resolve();
      peer = this.members[checkedDest];
    } catch (error) {
      return Promise.reject(error);
    }
    const sent = this.job.engine.send({
      peer,
      context: this.contexts.p2p,
      source: this.#rank,
      tag: checkedTag,
      payload,
      headroom: true,
      raw: false,
      sync,
      owned: true,
    });
    if (!sync) return sent;
    return this.job.activities.track(
      () => `${where}(dest=${dest}, tag=${checkedTag}) on ${this.#name}`,
      sent,
    );
  }

  #sendBuffer(where: string, buf: unknown, dest: unknown, tag: unknown, sync: boolean): Promise<void> {
    let view;
    let peer: number;
    let checkedTag: number;
    try {
      this.#live(where);
      const checkedDest = checkDest(where, dest, this.size);
      checkedTag = checkSendTag(where, tag);
      view = toByteView(buf, where, "buf");
      if (checkedDest === PROC_NULL) return Promise.resolve();
      peer = this.members[checkedDest];
    } catch (error) {
      return Promise.reject(error);
    }
    return this.job.activities.track(
      () => `${where}(dest=${dest}, tag=${checkedTag}) on ${this.#name}`,
      this.job.engine.send({
        peer,
        context: this.contexts.p2p,
        source: this.#rank,
        tag: checkedTag,
        payload: view.bytes,
        headroom: false,
        raw: true,
        sync,
        owned: false,
      }),
    );
  }

  #startRecv<T>(where: string, source: unknown, tag: unknown, status: Status | undefined): Posted<T> {
    return this.#receive<T>(where, source, tag, status, (message) => {
      if (message.raw) {
        throw mpiError(
          ErrorCode.ERR_TYPE,
          `${where}: rank ${message.source} sent a buffer (tag ${message.tag}) with Send; receive it with Recv`,
        );
      }
      return decodeValue(message.payload) as T;
    });
  }

  #startRecvBuffer(
    where: string,
    buf: unknown,
    source: unknown,
    tag: unknown,
    status: Status | undefined,
  ): Posted<void> {
    let bytes: Uint8Array;
    try {
      this.#live(where);
      bytes = toByteView(buf, where, "buf").bytes;
    } catch (error) {
      return { promise: Promise.reject(error) };
    }
    return this.#receive<void>(where, source, tag, status, (message) => {
      if (!message.raw) {
        throw mpiError(
          ErrorCode.ERR_TYPE,
          `${where}: rank ${message.source} sent a value (tag ${message.tag}) with send; receive it with recv`,
        );
      }
      if (message.payload.length > bytes.length) {
        throw mpiError(
          ErrorCode.ERR_TRUNCATE,
          `${where}: the message from rank ${message.source} (tag ${message.tag}) has ${message.payload.length} bytes, ` +
            `more than the ${bytes.length} bytes of the receive buffer`,
        );
      }
      // A large payload may have been assembled in place (Engine.payloadTarget); `.buffer` is only asked of
      // large ones, as it costs an allocation per small message on JavaScriptCore.
      const payload = message.payload;
      if (
        payload.length < 16384 || payload.byteOffset !== bytes.byteOffset || payload.buffer !== bytes.buffer
      ) {
        bytes.set(message.payload);
      }
    }, bytes);
  }

  /**
   * Posts a receive; `status`, if given, gets the envelope of the message. The pending call is tracked for
   * hang reports with a label that is only built if one is asked for.
   */
  #receive<T>(
    where: string,
    source: unknown,
    tag: unknown,
    status: Status | undefined,
    finish: (message: Received) => T,
    into?: Uint8Array,
  ): Posted<T> {
    let pattern;
    try {
      pattern = this.#pattern(where, source, tag);
    } catch (error) {
      return { promise: Promise.reject(error) };
    }
    if (pattern.source === PROC_NULL) {
      if (status) procNullStatus(status);
      return { promise: Promise.resolve(null as T) };
    }
    const handle = this.job.engine.receive(pattern, into);
    const activities = this.job.activities;
    const activity = activities.begin(() =>
      `${where}(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${this.#name}`
    );
    const promise = handle.promise.then((message) => {
      activities.end(activity);
      if (message === undefined) return undefined as T;
      if (status) fillStatus(status, message.source, message.tag, message.payload.length);
      return finish(message);
    }, (error) => {
      activities.end(activity);
      throw error;
    });
    return { promise, cancel: handle.cancel };
  }
}

/** A posted receive: its result, and how to withdraw it. */
interface Posted<T> {
  promise: Promise<T>;
  cancel?: () => boolean;
}

/** A request for a receive that `start` posts with the request's status. */
function toRequest<T>(start: (status: Status) => Posted<T>): Request<T> {
  const status = new Status();
  const posted = start(status);
  return new Request(posted.promise, posted.cancel, status);
}

/**
 * The `source, tag, status` of a receive, given positionally or as one options object (`{ source, tag }`).
 * Positional numbers, the common case, take no detour.
 */
function receiveArgs(
  where: string,
  source: unknown,
  tag?: unknown,
  status?: unknown,
): { source: unknown; tag: unknown; status: Status | undefined } {
  if (typeof source !== "object" || source === null) {
    return { source, tag, status: status as Status | undefined };
  }
  const args = namedArgs(where, RECV_NAMES, trim([source, tag, status]));
  return { source: args.source, tag: args.tag, status: args.status as Status | undefined };
}

/** COMM_NULL's job, never reached: every call on COMM_NULL fails before it looks. */
const NO_JOB = {} as Job;

const COMM_NULL_KEY = Symbol.for("mpirun-deno.COMM_NULL.v1");

/**
 * The communicator that is none: what `Split` with `UNDEFINED` and `Create` outside the group give. Every
 * call on it fails with ERR_COMM. One object per process, however many copies of the module are loaded.
 *
 * @example
 * ```ts
 * import { MPI, UNDEFINED } from "mpirun-deno";
 * const none = await MPI.COMM_WORLD.Split(UNDEFINED);
 * console.log(none === MPI.COMM_NULL); // true
 * ```
 */
export const COMM_NULL: Comm =
  ((globalThis as Record<symbol, unknown>)[COMM_NULL_KEY] ??= Comm.makeNull()) as Comm;

/** Checks a `Split` colour: an integer from 0, or UNDEFINED. */
function checkColor(where: string, color: unknown): number {
  if (color === UNDEFINED) return UNDEFINED;
  if (typeof color !== "number" || !Number.isSafeInteger(color) || color < 0) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: color ${String(color)} is neither an integer from 0 nor UNDEFINED`,
    );
  }
  return color;
}

/** Checks a `Split` key: any integer. */
function checkKey(where: string, key: unknown): number {
  if (typeof key !== "number" || !Number.isSafeInteger(key)) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: key ${String(key)} is not an integer`);
  }
  return key;
}

function trim(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

function fillStatus(status: Status, source: number, tag: number, count: number): void {
  status.source = source;
  status.tag = tag;
  status.count = count;
  status.error = 0;
}

function procNullStatus(status: Status): Status {
  fillStatus(status, PROC_NULL, ANY_TAG, 0);
  return status;
}

function showRank(rank: number): string {
  return rank === ANY_SOURCE ? "ANY_SOURCE" : String(rank);
}

function showTag(tag: number): string {
  return tag === ANY_TAG ? "ANY_TAG" : String(tag);
}
