/**
 * `Comm`: the communicator object users hold. Each call is a few lines that hand the communicator's state
 * (core.ts) to the module that does the work, as mpi4py's `Comm.pyx` hands its calls to `msgpickle.pxi` and
 * `msgbuffer.pxi`: point to point in p2p_calls.ts, communicator management in management.ts, and the
 * collectives, inherited from collective_comm.ts, in collective_calls.ts over `collectives/`.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, UNDEFINED } from "../constants.ts";
import type { Prequest } from "../p2p/prequest.ts";
import { Request } from "../p2p/request.ts";
import type { Status } from "../p2p/status.ts";
import type { BufferArg } from "../wire/buffers.ts";
import { CollectiveComm } from "./collective_comm.ts";
import type { Contexts } from "./context.ts";
import { CommCore, type Job } from "./core.ts";
import { Group } from "./group.ts";
import { compare, create, createGroup, dup, free, type Made, split, splitByType } from "./management.ts";
import { bsend } from "./bsend.ts";
import { improbe, type Message, mprobe } from "./message.ts";
import * as p2p from "./p2p_calls.ts";
import { isendrecv, isendrecvBuffer, isendrecvReplace, sendrecvReplace } from "./p2p_composite.ts";
import { recvInit, sendInit } from "./persistent.ts";
import type { Cartcomm } from "./topology/cartcomm.ts";
import type { Distgraphcomm, Graphcomm } from "./topology/graphcomm.ts";
import {
  type CartOptions,
  type DistGraphOptions,
  type GraphOptions,
  withTopologyMakers,
} from "./topology/hooks.ts";

export type { Job } from "./core.ts";
export type { Contexts } from "./context.ts";

/**
 * A communicator: a group of ranks and a private space for their messages.
 *
 * @example Point to point on values
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * if (comm.size >= 2) {
 *   if (comm.rank === 0) await comm.send({ x: 1, y: 2.0 }, 1, 7);
 *   if (comm.rank === 1) assert.deepEqual(await comm.recv(0, 7), { x: 1, y: 2 });
 * }
 * ```
 */
export class Comm extends CollectiveComm {
  /** @internal */
  readonly job: Job;
  /** @internal World rank of each member, indexed by rank in this communicator. */
  readonly members: readonly number[];
  /** @internal */
  readonly contexts: Contexts;
  #core: CommCore;

  /** @internal Communicators are made by `Dup`, `Split` and `Create`, or are `COMM_WORLD`/`COMM_SELF`. */
  constructor(job: Job, members: readonly number[], rank: number, contexts: Contexts, name: string) {
    const core = new CommCore(job, members, rank, contexts, name);
    super(core);
    this.#core = core;
    this.job = job;
    this.members = members;
    this.contexts = contexts;
  }

  /** This process's rank in the communicator. */
  get rank(): number {
    this.#core.live("rank");
    return this.#core.rank;
  }

  /** Number of ranks in the communicator. */
  get size(): number {
    this.#core.live("size");
    return this.members.length;
  }

  /** This process's rank in the communicator. */
  Get_rank(): number {
    this.#core.live("Get_rank");
    return this.#core.rank;
  }

  /** Number of ranks in the communicator. */
  Get_size(): number {
    this.#core.live("Get_size");
    return this.members.length;
  }

  /** The communicator's name, such as `"COMM_WORLD"` or `"Dup(COMM_WORLD)"`. */
  Get_name(): string {
    this.#core.live("Get_name");
    return this.#core.name;
  }

  /** Renames the communicator (names show in error messages and hang reports). */
  Set_name(name: string): void {
    this.#core.live("Set_name");
    this.#core.name = String(name);
  }

  /** The communicator's name; assigning it is `Set_name`. */
  get name(): string {
    this.#core.live("name");
    return this.#core.name;
  }

  set name(name: string) {
    this.Set_name(name);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Communicators and groups (management.ts). Making a communicator is a collective on this one: every rank
  // calls it, in the same order as its other collectives here (see context.ts for how the members agree on
  // its context ids).

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
    return dup(this.#core, this.#make);
  }

  /**
   * Splits the ranks by `color` (an integer from 0) into one new communicator per colour, ranked by `key`
   * (default 0) and then by rank here. A rank that passes `UNDEFINED` as its colour gets `COMM_NULL`.
   * `Split({ color, key })` works too.
   *
   * @example Rows of a grid of 2 columns
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const row = await world.Split(Math.floor(world.rank / 2), world.rank);
   * assert.equal(row.rank, world.rank % 2);
   * ```
   */
  Split(color?: number | { color?: number; key?: number }, key?: number): Promise<Comm> {
    return split(this.#core, [color, key], this.#make);
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
    return splitByType(this.#core, splitType, [key], this.#make);
  }

  /**
   * A communicator of the processes of `group` (a subgroup of this communicator's group), ranked in the
   * group's order. Every rank here calls it with the same group; those outside it get `COMM_NULL`.
   *
   * @example Everyone but rank 0
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const workers = await world.Create(world.Get_group().Excl([0]));
   * if (world.rank === 0) assert.equal(workers, MPI.COMM_NULL);
   * ```
   */
  Create(group: Group): Promise<Comm> {
    return create(this.#core, group, this.#make);
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
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const half = Math.ceil(world.size / 2);
   * if (world.rank < half) {
   *   const first = await world.Create_group(world.Get_group().Range_incl([[0, half - 1, 1]]), 7);
   *   assert.deepEqual([first.rank, first.size], [world.rank, half]);
   * }
   * ```
   */
  Create_group(group: Group, tag?: number | { tag?: number }): Promise<Comm> {
    return createGroup(this.#core, group, [tag], this.#make);
  }

  /**
   * The group of this communicator's ranks, in rank order.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const group = MPI.COMM_WORLD.Get_group();
   * assert.equal(group.size, MPI.COMM_WORLD.size);
   * assert.equal(group.rank, MPI.COMM_WORLD.rank);
   * ```
   */
  Get_group(): Group {
    this.#core.live("Get_group");
    return new Group(this.members, this.members[this.#core.rank]);
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
    free(this.#core);
  }

  /**
   * `IDENT` (the same communicator), `CONGRUENT` (same ranks in the same order, another context),
   * `SIMILAR` (same processes, another order) or `UNEQUAL`.
   */
  Compare(comm: Comm): number {
    return compare(this.#core, comm instanceof Comm ? comm.#core : undefined, comm);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Process topologies (topology/): collectives on this communicator that make a new one with a topology.

  /**
   * A Cartesian communicator of the first `dims` product ranks, laid out row-major on a grid of `dims`
   * (see `Compute_dims`); `periods` says which dimensions wrap. Ranks beyond the grid get `COMM_NULL` (typed
   * as a `Cartcomm` for convenience, as in mpi4py: compare with `=== MPI.COMM_NULL`). `reorder` is accepted
   * and ranks keep their order. `Create_cart(dims, periods, reorder)` works too.
   *
   * @example A 2-D grid, periodic in its first dimension
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const dims = MPI.Compute_dims(world.size, 2);
   * const cart = await world.Create_cart(dims, { periods: [true, false] });
   * const [source, dest] = cart.Shift(0, 1);
   * assert.equal(cart.Get_cart_rank(cart.coords), cart.rank);
   * assert.equal(cart.Get_coords(source)[0], (cart.coords[0] - 1 + dims[0]) % dims[0]);
   * assert.equal(cart.Get_coords(dest)[0], (cart.coords[0] + 1) % dims[0]);
   * ```
   */
  Create_cart(
    dims: readonly number[],
    periods?: CartOptions | readonly (boolean | number)[],
    reorder?: boolean,
  ): Promise<Cartcomm> {
    return withTopologyMakers("Create_cart", (make) => make.cart(this.#core, dims, [periods, reorder]));
  }

  /**
   * A graph communicator (MPI-1 style) of the first `index.length` ranks: the neighbours of rank i are
   * `edges[index[i-1] .. index[i]-1]` (`index[-1]` being 0). Ranks beyond get `COMM_NULL`.
   */
  Create_graph(
    index: readonly number[],
    edges: readonly number[],
    options?: GraphOptions,
  ): Promise<Graphcomm> {
    return withTopologyMakers("Create_graph", (make) => make.graph(this.#core, index, edges, [options]));
  }

  /**
   * A distributed graph communicator of all ranks, each giving its own `sources` (ranks it receives from) and
   * `destinations` (ranks it sends to); `sourceweights`/`destweights` optional.
   */
  Create_dist_graph_adjacent(
    sources: readonly number[],
    destinations: readonly number[],
    options?: DistGraphOptions,
  ): Promise<Distgraphcomm> {
    return withTopologyMakers(
      "Create_dist_graph_adjacent",
      (make) => make.distGraphAdjacent(this.#core, sources, destinations, [options]),
    );
  }

  /**
   * A distributed graph communicator of all ranks, each giving any edges: from `sources[i]` to the next
   * `degrees[i]` entries of `destinations`; `weights` optional.
   */
  Create_dist_graph(
    sources: readonly number[],
    degrees: readonly number[],
    destinations: readonly number[],
    options?: DistGraphOptions,
  ): Promise<Distgraphcomm> {
    return withTopologyMakers(
      "Create_dist_graph",
      (make) => make.distGraph(this.#core, sources, degrees, destinations, [options]),
    );
  }

  /** The topology of this communicator: `CART`, `GRAPH`, `DIST_GRAPH`, or `UNDEFINED` for none. */
  Get_topology(): number {
    this.#core.live("Get_topology");
    return UNDEFINED;
  }

  /** Same as {@linkcode Comm.Get_topology} (the C name, `MPI_Topo_test`). */
  Topo_test(): number {
    return this.Get_topology();
  }

  /** Same as {@linkcode Comm.Get_topology}. */
  get topology(): number {
    return this.Get_topology();
  }

  /** @internal The communicator's state, for the topology subclasses to hand to their modules. */
  protected get core(): CommCore {
    return this.#core;
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

  /** @internal Makes `COMM_NULL`: every call on it fails with ERR_COMM. */
  static makeNull(): Comm {
    const comm = new Comm(NO_JOB, [], UNDEFINED, { p2p: -1, collective: -1 }, "COMM_NULL");
    comm.#core.state = "null";
    return comm;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Point to point on values (p2p_calls.ts)

  /**
   * Sends a value (anything msgpack-able: see the module docs) to `dest`. Resolves once the value is out of
   * the caller's hands. `send(obj, { dest, tag })` works too.
   */
  send(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return p2p.send(this.#core, "send", obj, dest, tag, false, false);
  }

  /** Sends a value and resolves once the receiver has matched it. */
  ssend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return p2p.send(this.#core, "ssend", obj, dest, tag, false, true);
  }

  /** Starts sending a value; the request completes as `send` would. */
  isend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(p2p.send(this.#core, "isend", obj, dest, tag, false, false));
  }

  /** Starts a synchronous send; the request completes once the receiver has matched it. */
  issend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(p2p.send(this.#core, "issend", obj, dest, tag, false, true));
  }

  /**
   * Receives a value from `source` (default ANY_SOURCE) with `tag` (default ANY_TAG); fills `status` if given.
   * `recv({ source, tag, status })` works too.
   */
  // deno-lint-ignore no-explicit-any
  recv<T = any>(
    source?: number | { source?: number; tag?: number; status?: Status; signal?: AbortSignal },
    tag?: number,
    status?: Status,
  ): Promise<T> {
    return p2p.recv<T>(this.#core, source, tag, status);
  }

  /** Starts receiving a value; `await` the request (or `wait()`) for it. */
  // deno-lint-ignore no-explicit-any
  irecv<T = any>(
    source?: number | { source?: number; tag?: number; signal?: AbortSignal },
    tag?: number,
  ): Request<T> {
    return p2p.irecv<T>(this.#core, source, tag);
  }

  /** Sends `sendobj` to `dest` and receives a value from `source`, without deadlock when peers pair up. */
  // deno-lint-ignore no-explicit-any
  sendrecv<T = any>(
    sendobj: unknown,
    dest: number | { dest: number; sendtag?: number; source?: number; recvtag?: number; status?: Status },
    sendtag?: number,
    source?: number,
    recvtag?: number,
    status?: Status,
  ): Promise<T> {
    return p2p.sendrecv<T>(this.#core, sendobj, [dest, sendtag, source, recvtag, status]);
  }

  /** Waits until a matching message has arrived and returns its envelope (it stays to be received). */
  probe(
    source?: number | { source?: number; tag?: number; status?: Status; signal?: AbortSignal },
    tag?: number,
    status?: Status,
  ): Promise<Status> {
    return p2p.probe(this.#core, [source, tag, status]);
  }

  /** Says whether a matching message has arrived, without waiting for one (it lets pending I/O run once). */
  iprobe(
    source?: number | { source?: number; tag?: number; status?: Status; signal?: AbortSignal },
    tag?: number,
    status?: Status,
  ): Promise<boolean> {
    return p2p.iprobe(this.#core, [source, tag, status]);
  }

  /** Same as {@linkcode Comm.probe}, as mpi4py's `Probe`. */
  Probe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Status> {
    return this.probe(source, tag, status);
  }

  /** Same as {@linkcode Comm.iprobe}, as mpi4py's `Iprobe`. */
  Iprobe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<boolean> {
    return this.iprobe(source, tag, status);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Point to point on buffers (p2p_calls.ts)

  /** Sends the bytes of a typed array (or `[array, count]`) with no encoding. */
  Send(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return p2p.send(this.#core, "Send", buf, dest, tag, true, false);
  }

  /** Sends the bytes of a typed array and resolves once the receiver has matched them. */
  Ssend(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return p2p.send(this.#core, "Ssend", buf, dest, tag, true, true);
  }

  /** Starts sending the bytes of a typed array; do not change it until the request completes. */
  Isend(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(p2p.send(this.#core, "Isend", buf, dest, tag, true, false));
  }

  /** Starts a synchronous buffer send. */
  Issend(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(p2p.send(this.#core, "Issend", buf, dest, tag, true, true));
  }

  /**
   * Receives bytes into `buf` (a typed array, an ArrayBuffer or `[array, count]`). A longer message is an
   * ERR_TRUNCATE error; `status.Get_count()` gives the bytes received.
   */
  Recv(
    buf: BufferArg,
    source?: number | { source?: number; tag?: number; status?: Status; signal?: AbortSignal },
    tag?: number,
    status?: Status,
  ): Promise<void> {
    return p2p.recvBuffer(this.#core, buf, source, tag, status);
  }

  /** Starts receiving bytes into `buf`. */
  Irecv(
    buf: BufferArg,
    source?: number | { source?: number; tag?: number; signal?: AbortSignal },
    tag?: number,
  ): Request<void> {
    return p2p.irecvBuffer(this.#core, buf, source, tag);
  }

  /** Sends `sendbuf` to `dest` and receives into `recvbuf` from `source`. */
  Sendrecv(
    sendbuf: BufferArg,
    dest: number,
    sendtag = 0,
    recvbuf?: BufferArg,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
    status?: Status,
  ): Promise<void> {
    return p2p.sendrecvBuffer(this.#core, sendbuf, dest, sendtag, recvbuf, source, recvtag, status);
  }

  // ---------------------------------------------------------------------------------------------------------
  // More point to point: buffered and ready sends (bsend.ts), matched probes (message.ts), composite calls
  // (p2p_composite.ts) and persistent requests (persistent.ts).

  /**
   * Buffered send of a value: copies it into the attached buffer's budget (see `MPI.Attach_buffer`) and
   * completes at once; ERR_BUFFER if no buffer is attached or it has no room.
   */
  bsend(obj: unknown, dest: number, tag = 0): Promise<void> {
    return bsend(this.#core, "bsend", obj, dest, tag, false);
  }

  /** Buffered send of a typed array's bytes; see {@linkcode Comm.bsend}. */
  Bsend(buf: BufferArg, dest: number, tag = 0): Promise<void> {
    return bsend(this.#core, "Bsend", buf, dest, tag, true);
  }

  /** Starts a buffered send of a value: complete at once (see {@linkcode Comm.bsend}). */
  ibsend(obj: unknown, dest: number, tag = 0): Request<void> {
    return new Request(this.bsend(obj, dest, tag));
  }

  /** Starts a buffered send of a typed array's bytes: complete at once (see {@linkcode Comm.bsend}). */
  Ibsend(buf: BufferArg, dest: number, tag = 0): Request<void> {
    return new Request(this.Bsend(buf, dest, tag));
  }

  /**
   * Ready send of a typed array's bytes. MPI lets it assume the receive is posted; here, as in Open MPI, it
   * is a standard send, so it also works (and is no error) when the receive is not posted yet.
   */
  Rsend(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    return p2p.send(this.#core, "Rsend", buf, dest, tag, true, false);
  }

  /** Starts a ready send; see {@linkcode Comm.Rsend}. */
  Irsend(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    return new Request(this.Rsend(buf, dest, tag));
  }

  /**
   * Waits for a matching message and takes it out of matching: only the returned {@linkcode Message}
   * receives it (`recv`/`irecv` for a value, `Recv`/`Irecv` for bytes). Fills `status` if given.
   */
  mprobe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Message> {
    return mprobe(this.#core, [source, tag, status]);
  }

  /** As {@linkcode Comm.mprobe}, without waiting: `null` if no matching message has arrived. */
  improbe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Message | null> {
    return improbe(this.#core, [source, tag, status]);
  }

  /** Same as {@linkcode Comm.mprobe}. */
  Mprobe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Message> {
    return this.mprobe(source, tag, status);
  }

  /** Same as {@linkcode Comm.improbe}. */
  Improbe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Message | null> {
    return this.improbe(source, tag, status);
  }

  /**
   * Starts `sendrecv`: the request gives the value received, and its status the envelope. A send refused by
   * its arguments (an unsendable value, a bad `dest`) posts no receive; one that fails later withdraws it.
   *
   * @example A ring
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const right = (comm.rank + 1) % comm.size, left = (comm.rank - 1 + comm.size) % comm.size;
   * const request = comm.isendrecv(comm.rank, right, 0, left, 0);
   * assert.equal(await request, left);
   * ```
   */
  // deno-lint-ignore no-explicit-any
  isendrecv<T = any>(
    sendobj: unknown,
    dest: number | { dest: number; sendtag?: number; source?: number; recvtag?: number },
    sendtag?: number,
    source?: number,
    recvtag?: number,
  ): Request<T> {
    return isendrecv<T>(this.#core, sendobj, [dest, sendtag, source, recvtag]);
  }

  /** Starts `Sendrecv` on buffers; see {@linkcode Comm.isendrecv}. */
  Isendrecv(
    sendbuf: BufferArg,
    dest: number,
    sendtag = 0,
    recvbuf?: BufferArg,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
  ): Request<void> {
    return isendrecvBuffer(this.#core, sendbuf, dest, sendtag, recvbuf, source, recvtag);
  }

  /**
   * Sends the bytes of `buf` to `dest` and receives into the same `buf` from `source` (the bytes sent are
   * copied first).
   *
   * @example Shift a ring
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const right = (comm.rank + 1) % comm.size, left = (comm.rank - 1 + comm.size) % comm.size;
   * const buf = Int32Array.of(comm.rank);
   * await comm.Sendrecv_replace(buf, right, 0, left, 0);
   * assert.equal(buf[0], left);
   * ```
   */
  Sendrecv_replace(
    buf: BufferArg,
    dest: number,
    sendtag = 0,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
    status?: Status,
  ): Promise<void> {
    return sendrecvReplace(this.#core, "Sendrecv_replace", buf, dest, sendtag, source, recvtag, status);
  }

  /** Starts a {@linkcode Comm.Sendrecv_replace}. */
  Isendrecv_replace(
    buf: BufferArg,
    dest: number,
    sendtag = 0,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
  ): Request<void> {
    return isendrecvReplace(this.#core, buf, dest, sendtag, source, recvtag);
  }

  /**
   * A persistent `Send` of `buf` (its contents at each start): `Start()` it, then wait, as often as needed.
   * The arguments are checked now.
   */
  Send_init(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Prequest<void> {
    return sendInit(this.#core, "Send_init", buf, dest, tag, "standard");
  }

  /** A persistent `Ssend`; see {@linkcode Comm.Send_init}. */
  Ssend_init(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Prequest<void> {
    return sendInit(this.#core, "Ssend_init", buf, dest, tag, "sync");
  }

  /** A persistent `Bsend`; see {@linkcode Comm.Send_init}. */
  Bsend_init(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Prequest<void> {
    return sendInit(this.#core, "Bsend_init", buf, dest, tag, "buffered");
  }

  /** A persistent `Rsend` (a standard send here, see {@linkcode Comm.Rsend}). */
  Rsend_init(buf: BufferArg, dest: number | { dest: number; tag?: number }, tag?: number): Prequest<void> {
    return sendInit(this.#core, "Rsend_init", buf, dest, tag, "ready");
  }

  /** A persistent `Recv` into `buf`: each start posts the receive again; the status is the request's. */
  Recv_init(
    buf: BufferArg,
    source?: number | { source?: number; tag?: number },
    tag?: number,
  ): Prequest<void> {
    return recvInit(this.#core, buf, source, tag);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Collectives on values and on buffers: inherited from CollectiveComm (collective_comm.ts).

  // ---------------------------------------------------------------------------------------------------------
  // Everything else

  /** Ends the whole job: every rank exits, and the launcher exits with `errorcode`. */
  Abort(errorcode = 1): Promise<never> {
    try {
      this.#core.live("Abort");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.job.abort(errorcode, `Abort(${errorcode}) called on ${this.#core.name}`);
  }

  /** Same as {@linkcode Comm.Abort}. */
  abort(errorcode = 1): Promise<never> {
    return this.Abort(errorcode);
  }

  /** @internal World rank of `rank`. */
  worldRank(rank: number): number {
    return this.members[rank];
  }

  /** Turns what management.ts made into a communicator, sharing this one's job. */
  #make = (made: Made | undefined): Comm =>
    made === undefined ? COMM_NULL : new Comm(this.job, made.members, made.rank, made.contexts, made.name);
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
 * import assert from "node:assert/strict";
 * import { MPI, UNDEFINED } from "mpirun-deno";
 * const none = await MPI.COMM_WORLD.Split(UNDEFINED);
 * assert.equal(none, MPI.COMM_NULL);
 * ```
 */
export const COMM_NULL: Comm =
  ((globalThis as Record<symbol, unknown>)[COMM_NULL_KEY] ??= Comm.makeNull()) as Comm;
