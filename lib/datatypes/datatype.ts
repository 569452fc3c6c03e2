/**
 * `Datatype`: a layout of typed elements in memory, as mpi4py's `MPI.Datatype`. The basic ones (`DOUBLE`,
 * `INT`...) stand for the elements of a typed array; derived ones (`Create_vector`, `Create_subarray`,
 * `Create_struct`...) pick elements out of a buffer, and the capitalised calls send and receive them with
 * `[buf, datatype]`, `[buf, count, datatype]` or `[buf, counts, displs, datatype]`.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import type { BufferMemory } from "../wire/buffers.ts";
import { toByteView } from "../wire/buffers.ts";
import {
  basicLayout,
  type Block,
  blocksLayout,
  type ElementClass,
  type Layout,
  paddedLayout,
  resizedLayout,
} from "./layout.ts";
import { pack, unpack } from "./pack.ts";

/** Row-major order of `Create_subarray`: the last dimension varies fastest (C, numpy's default). */
export const ORDER_C: number = 0;
/** Column-major order of `Create_subarray`: the first dimension varies fastest (Fortran). */
export const ORDER_FORTRAN: number = 1;
/** `ORDER_FORTRAN`, by mpi4py's short name. */
export const ORDER_F: number = ORDER_FORTRAN;

/**
 * A datatype: the basic ones are constants (`MPI.DOUBLE`, `MPI.INT`...); derived ones are made from them and
 * must be committed (`Commit()`) before a call uses them.
 *
 * @example A column of a 4 x 5 grid of doubles (row-major), sent as one element
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const column = MPI.DOUBLE.Create_vector(4, 1, 5).Commit();
 * assert.deepEqual([column.Get_size(), column.Get_extent()], [32, [0, 128]]);
 * const grid = Float64Array.from({ length: 20 }, (_, i) => i);
 * const packed = new Float64Array(4);
 * column.Pack(grid.subarray(2), packed, 0);
 * assert.deepEqual(packed, Float64Array.of(2, 7, 12, 17));
 * column.Free();
 * ```
 */
export class Datatype {
  /** @internal The flattened layout of one element. */
  readonly layout: Layout;
  #name: string;
  #committed: boolean;
  #freed = false;
  readonly #predefined: boolean;

  /** @internal Made by the constructors below; the basic datatypes are constants. */
  constructor(layout: Layout, name: string, predefined: boolean) {
    this.layout = layout;
    this.#name = name;
    this.#committed = predefined;
    this.#predefined = predefined;
  }

  /** @internal A basic datatype of `size` bytes, the elements of `element` arrays. */
  static basic(name: string, size: number, element: ElementClass): Datatype {
    return new Datatype(basicLayout(size, element), name, true);
  }

  /** Bytes of data in one element. */
  get size(): number {
    return this.layout.size;
  }
  /** The stride between consecutive elements in a buffer, in bytes: `ub - lb`. */
  get extent(): number {
    return this.layout.ub - this.layout.lb;
  }
  /** Lower bound, in bytes. */
  get lb(): number {
    return this.layout.lb;
  }
  /** Upper bound, in bytes. */
  get ub(): number {
    return this.layout.ub;
  }
  /** Where the data of one element starts, in bytes. */
  get true_lb(): number {
    return this.layout.trueLb;
  }
  /** Where the data of one element ends, in bytes. */
  get true_ub(): number {
    return this.layout.trueUb;
  }
  /** Bytes from the first to the last byte of data of one element. */
  get true_extent(): number {
    return this.layout.trueUb - this.layout.trueLb;
  }
  /** Is this one of the basic datatypes? */
  get is_predefined(): boolean {
    return this.#predefined;
  }
  /** Has `Commit()` been called (always true for the basic datatypes)? */
  get committed(): boolean {
    return this.#committed;
  }
  /** The name (`MPI_DOUBLE` for the basic ones; set others with `Set_name`). */
  get name(): string {
    return this.#name;
  }

  /** Bytes of data in one element. */
  Get_size(): number {
    return this.size;
  }
  /** `[lb, extent]`, in bytes. */
  Get_extent(): [number, number] {
    return [this.lb, this.extent];
  }
  /** `[true_lb, true_extent]`: where the data is, ignoring `Create_resized`. */
  Get_true_extent(): [number, number] {
    return [this.true_lb, this.true_extent];
  }
  /** The name. */
  Get_name(): string {
    return this.#name;
  }
  /** Names the datatype (error messages use the name). */
  Set_name(name: string): void {
    this.#name = String(name);
  }

  /** Makes the datatype usable by calls; returns it, as mpi4py does (`t = MPI.INT.Create_vector(...).Commit()`). */
  Commit(): this {
    this.#live("Commit");
    this.#committed = true;
    return this;
  }

  /** Frees the datatype: calls may no longer use it, types made from it before stay valid. */
  Free(): void {
    this.#live("Free");
    if (this.#predefined) throw mpiError(ErrorCode.ERR_TYPE, `Free: ${this.#name} is a basic datatype`);
    this.#freed = true;
    this.#committed = false;
  }

  /** A new, uncommitted datatype with the same layout. */
  Dup(): Datatype {
    this.#live("Dup");
    return new Datatype(this.layout, "", false);
  }

  /** `count` elements back to back. */
  Create_contiguous(count: number): Datatype {
    const where = "Create_contiguous";
    this.#live(where);
    return this.#derived([{ offset: 0, count: counted(where, "count", count), layout: this.layout }]);
  }

  /** `count` blocks of `blocklength` elements, `stride` elements apart (a column: `Create_vector(rows, 1, width)`). */
  Create_vector(count: number, blocklength: number, stride: number): Datatype {
    const where = "Create_vector";
    this.#live(where);
    return this.#strided(where, count, blocklength, integer(where, "stride", stride) * this.extent);
  }

  /** As `Create_vector`, with the stride in bytes. */
  Create_hvector(count: number, blocklength: number, stride: number): Datatype {
    const where = "Create_hvector";
    this.#live(where);
    return this.#strided(where, count, blocklength, integer(where, "stride", stride));
  }

  /** Blocks of `blocklengths[i]` elements at `displacements[i]` elements. */
  Create_indexed(blocklengths: ArrayLike<number>, displacements: ArrayLike<number>): Datatype {
    const where = "Create_indexed";
    this.#live(where);
    return this.#indexed(where, blocklengths, displacements, this.extent);
  }

  /** Blocks of `blocklengths[i]` elements at `displacements[i]` bytes. */
  Create_hindexed(blocklengths: ArrayLike<number>, displacements: ArrayLike<number>): Datatype {
    const where = "Create_hindexed";
    this.#live(where);
    return this.#indexed(where, blocklengths, displacements, 1);
  }

  /** Blocks of `blocklength` elements each, at `displacements[i]` elements. */
  Create_indexed_block(blocklength: number, displacements: ArrayLike<number>): Datatype {
    const where = "Create_indexed_block";
    this.#live(where);
    const displs = integers(where, "displacements", displacements);
    return this.#indexed(where, displs.map(() => blocklength), displs, this.extent);
  }

  /** Blocks of `blocklength` elements each, at `displacements[i]` bytes. */
  Create_hindexed_block(blocklength: number, displacements: ArrayLike<number>): Datatype {
    const where = "Create_hindexed_block";
    this.#live(where);
    const displs = integers(where, "displacements", displacements);
    return this.#indexed(where, displs.map(() => blocklength), displs, 1);
  }

  /**
   * The block `subsizes` at `starts` of an array of shape `sizes` (`order` ORDER_C: row-major, or
   * ORDER_FORTRAN: column-major). Its extent is the whole array's, so element 0 is at the array's start.
   */
  Create_subarray(
    sizes: ArrayLike<number>,
    subsizes: ArrayLike<number>,
    starts: ArrayLike<number>,
    order: number = ORDER_C,
  ): Datatype {
    const where = "Create_subarray";
    this.#live(where);
    const shape = integers(where, "sizes", sizes);
    const sub = integers(where, "subsizes", subsizes);
    const first = integers(where, "starts", starts);
    if (sub.length !== shape.length || first.length !== shape.length || shape.length === 0) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: sizes, subsizes and starts must have one entry per dimension (got ${shape.length}, ${sub.length}, ${first.length})`,
      );
    }
    if (order !== ORDER_C && order !== ORDER_FORTRAN) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: order ${order} is neither ORDER_C nor ORDER_FORTRAN`);
    }
    shape.forEach((size, d) => {
      if (size < 1 || sub[d] < 1 || first[d] < 0 || first[d] + sub[d] > size) {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `${where}: dimension ${d}: subsize ${sub[d]} at start ${first[d]} does not fit size ${size}`,
        );
      }
    });
    // Dimensions from the fastest-varying to the slowest.
    const dims = order === ORDER_C ? shape.map((_, d) => shape.length - 1 - d) : shape.map((_, d) => d);
    const strides: number[] = [];
    let stride = this.extent;
    for (const d of dims) {
      strides[d] = stride;
      stride *= shape[d];
    }
    const fastest = dims[0];
    const blocks: Block[] = [];
    const index = first.slice();
    for (;;) {
      let offset = 0;
      for (let d = 0; d < shape.length; d++) offset += index[d] * strides[d];
      blocks.push({ offset, count: sub[fastest], layout: this.layout });
      let k = 1;
      for (; k < dims.length; k++) {
        const d = dims[k];
        if (++index[d] < first[d] + sub[d]) break;
        index[d] = first[d];
      }
      if (k === dims.length) break;
    }
    return new Datatype(resizedLayout(blocksLayout(blocks), 0, stride), "", false);
  }

  /** The same data with bounds `lb` and `lb + extent` (bytes): sets the stride between consecutive elements. */
  Create_resized(lb: number, extent: number): Datatype {
    const where = "Create_resized";
    this.#live(where);
    return new Datatype(
      resizedLayout(this.layout, integer(where, "lb", lb), integer(where, "extent", extent)),
      "",
      false,
    );
  }

  /**
   * A record: `blocklengths[i]` elements of `datatypes[i]` at byte `displacements[i]`. Its extent is rounded
   * up to its widest basic member, as a C struct's is (`Create_resized` sets another).
   *
   * @example A record of an int32 and a float64, 4 bytes of padding between them, in a DataView
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const record = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT32_T, MPI.DOUBLE]).Commit();
   * assert.deepEqual([record.Get_size(), record.Get_extent()], [12, [0, 16]]);
   * ```
   */
  static Create_struct(
    blocklengths: ArrayLike<number>,
    displacements: ArrayLike<number>,
    datatypes: ArrayLike<Datatype>,
  ): Datatype {
    const where = "Create_struct";
    const lengths = integers(where, "blocklengths", blocklengths);
    const displs = integers(where, "displacements", displacements);
    const types = Array.from(datatypes);
    if (displs.length !== lengths.length || types.length !== lengths.length) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: blocklengths, displacements and datatypes must have the same length (got ${lengths.length}, ${displs.length}, ${types.length})`,
      );
    }
    const blocks = types.map((type, i) => {
      if (!(type instanceof Datatype)) {
        throw mpiError(ErrorCode.ERR_TYPE, `${where}: datatypes[${i}] is not a Datatype`);
      }
      type.#live(where);
      if (lengths[i] < 0) {
        throw mpiError(
          ErrorCode.ERR_COUNT,
          `${where}: blocklengths[${i}] is ${lengths[i]}, not a count >= 0`,
        );
      }
      return { offset: displs[i], count: lengths[i], layout: type.layout };
    });
    return new Datatype(paddedLayout(blocksLayout(blocks)), "", false);
  }

  /**
   * Packs the elements of this datatype in `inbuf` (as many as fit) into `outbuf` from byte `position`;
   * returns the position after them. `comm` is accepted for mpi4py's signature.
   */
  Pack(inbuf: BufferMemory, outbuf: BufferMemory, position: number, _comm?: unknown): number {
    const where = "Pack";
    this.check(where, "the datatype");
    const memory = toByteView(inbuf, where, "inbuf").bytes;
    const packed = toByteView(outbuf, where, "outbuf").bytes;
    const count = this.fittingCount(where, "inbuf", memory.length);
    checkRoom(where, position, count * this.size, packed.length, "outbuf");
    return pack(this.layout, count, memory, packed, position);
  }

  /**
   * Unpacks bytes of `inbuf` from `position` into the elements of this datatype in `outbuf` (as many as fit);
   * returns the position after them.
   */
  Unpack(inbuf: BufferMemory, position: number, outbuf: BufferMemory, _comm?: unknown): number {
    const where = "Unpack";
    this.check(where, "the datatype");
    const packed = toByteView(inbuf, where, "inbuf").bytes;
    const memory = toByteView(outbuf, where, "outbuf").bytes;
    const count = this.fittingCount(where, "outbuf", memory.length);
    checkRoom(where, position, count * this.size, packed.length, "inbuf");
    return unpack(this.layout, count, packed, position, memory);
  }

  /** Bytes that `Pack` needs for `count` elements. */
  Pack_size(count: number, _comm?: unknown): number {
    this.#live("Pack_size");
    return counted("Pack_size", "count", count) * this.size;
  }

  /** @internal Throws unless calls may use this datatype (committed, not freed). */
  check(where: string, argument: string): void {
    if (this.#freed) {
      throw mpiError(ErrorCode.ERR_TYPE, `${where}: ${argument} ${this.#describe()} has been freed`);
    }
    if (!this.#committed) {
      throw mpiError(
        ErrorCode.ERR_TYPE,
        `${where}: ${argument} ${this.#describe()} is not committed (call Commit() before using it)`,
      );
    }
  }

  /**
   * @internal How many whole elements fit in `bytes` bytes from offset 0. A basic or contiguous type must
   * fill it exactly, as in mpi4py.
   */
  fittingCount(where: string, argument: string, bytes: number): number {
    const { trueLb, trueUb, size } = this.layout;
    const extent = this.extent;
    if (size === 0 || extent <= 0) return 0;
    if (trueLb === 0 && trueUb === extent && size === extent) {
      if (bytes % extent !== 0) {
        throw mpiError(
          ErrorCode.ERR_COUNT,
          `${where}: ${argument} has ${bytes} bytes, not a multiple of the ${extent} bytes of ${this.#describe()}`,
        );
      }
      return bytes / extent;
    }
    if (trueLb < 0 || bytes < trueUb) return 0;
    return Math.floor((bytes - trueUb) / extent) + 1;
  }

  #describe(): string {
    return this.#name === "" ? "(a derived datatype)" : this.#name;
  }

  #live(where: string): void {
    if (this.#freed) {
      throw mpiError(ErrorCode.ERR_TYPE, `${where}: the datatype ${this.#describe()} has been freed`);
    }
  }

  #derived(blocks: Block[]): Datatype {
    return new Datatype(blocksLayout(blocks), "", false);
  }

  #strided(where: string, count: number, blocklength: number, stride: number): Datatype {
    const blocks = counted(where, "count", count);
    const length = counted(where, "blocklength", blocklength);
    return this.#derived(
      Array.from({ length: blocks }, (_, i) => ({ offset: i * stride, count: length, layout: this.layout })),
    );
  }

  #indexed(
    where: string,
    blocklengths: ArrayLike<number>,
    displacements: ArrayLike<number>,
    unit: number,
  ): Datatype {
    const lengths = integers(where, "blocklengths", blocklengths);
    const displs = integers(where, "displacements", displacements);
    if (lengths.length !== displs.length) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: ${lengths.length} blocklengths but ${displs.length} displacements`,
      );
    }
    lengths.forEach((length, i) => counted(where, `blocklengths[${i}]`, length));
    return this.#derived(
      lengths.map((count, i) => ({ offset: displs[i] * unit, count, layout: this.layout })),
    );
  }
}

function integer(where: string, argument: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: ${argument} ${String(value)} is not an integer`);
  }
  return value;
}

function counted(where: string, argument: string, value: unknown): number {
  const count = integer(where, argument, value);
  if (count < 0) throw mpiError(ErrorCode.ERR_COUNT, `${where}: ${argument} is ${count}, not a count >= 0`);
  return count;
}

function integers(where: string, argument: string, list: ArrayLike<number>): number[] {
  if (list === null || typeof list !== "object" || typeof list.length !== "number") {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: ${argument} must be an array of integers`);
  }
  return Array.from(list, (value, i) => integer(where, `${argument}[${i}]`, value));
}

function checkRoom(where: string, position: number, needed: number, room: number, argument: string): void {
  integer(where, "position", position);
  if (position < 0 || position + needed > room) {
    throw mpiError(
      ErrorCode.ERR_TRUNCATE,
      `${where}: ${needed} bytes from position ${position} do not fit the ${room} bytes of ${argument}`,
    );
  }
}
