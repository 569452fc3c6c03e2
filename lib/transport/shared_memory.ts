/**
 * Memory shared by the ranks of one host: a file under `/dev/shm` that one rank creates and the others open,
 * each mapping it into its address space through the C library. The creator removes the file's name as soon
 * as every rank has mapped it, so nothing is left behind however the job ends; the memory itself lives until
 * the last rank unmaps it (or exits). Words are read and written with `Atomics`; a rank that has waited long sleeps in
 * `futex(2)` on a word, and whoever changes it wakes the sleepers.
 *
 * Implements the `SharedMemory` port of `collectives/shared.ts`.
 *
 * @module
 */

import { type Libc, O_CLOEXEC, O_CREAT, O_EXCL, O_RDWR } from "../runtime/libc.ts";

/** Where the regions' files live: a memory file system on every Linux. */
export const SHM_DIRECTORY = "/dev/shm";

/**
 * How the names of the regions that process `pid` creates begin. A name that outlives its creator (killed by a
 * signal while the other ranks were mapping it) is garbage: whoever started the process removes it (see
 * `launch/leftover_regions.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regionPrefix } from "./shared_memory.ts";
 * assert.equal(regionPrefix(42), "mpirun-deno-42-");
 * ```
 */
export function regionPrefix(pid: number): string {
  return `mpirun-deno-${pid}-`;
}

/**
 * The pid of the process that created the region `name` (see {@linkcode regionPrefix}), or `undefined` when
 * `name` is not a region's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regionCreator } from "./shared_memory.ts";
 * assert.equal(regionCreator("mpirun-deno-42-c0-0badcafe"), 42);
 * assert.equal(regionCreator("other"), undefined);
 * ```
 */
export function regionCreator(name: string): number | undefined {
  const match = /^mpirun-deno-(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

const encoder = new TextEncoder();

/** A NUL-terminated path for the C library. */
function cPath(path: string): Uint8Array {
  return encoder.encode(`${path}\0`);
}

/**
 * A mapped region of shared memory.
 *
 * @example
 * ```ts ignore
 * const region = SharedRegion.create(libc, "mpirun-deno-job-1", 1 << 20);
 * Atomics.store(region.words, 0, 1);
 * region.wake(0);
 * ```
 */
export class SharedRegion {
  /** The file's path, while it has one. */
  readonly path: string;
  /** Every byte of the region. */
  readonly bytes: Uint8Array;
  /** The region as 32-bit words, for `Atomics`. */
  readonly words: Int32Array;
  readonly #libc: Libc;
  #unlinked = false;
  #released = false;

  private constructor(libc: Libc, path: string, buffer: ArrayBuffer) {
    this.#libc = libc;
    this.path = path;
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
  }

  /**
   * Creates the file `name` under `/dev/shm` with `length` bytes reserved (so that touching its memory never
   * fails for want of space) and maps it. Throws, naming the path and the error, if any step fails.
   */
  static create(libc: Libc, name: string, length: number): SharedRegion {
    const path = `${SHM_DIRECTORY}/${name}`;
    const fd = libc.open(cPath(path), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
    if (fd < 0) throw new Error(`cannot create ${path} (errno ${libc.errno()})`);
    try {
      const error = libc.posix_fallocate(fd, 0, length);
      if (error !== 0) throw new Error(`cannot reserve ${length} bytes in ${path} (errno ${error})`);
      return SharedRegion.#map(libc, path, fd, length);
    } catch (error) {
      libc.unlink(cPath(path));
      throw error;
    } finally {
      libc.close(fd);
    }
  }

  /** Opens and maps the region `name` that another rank created with `length` bytes. */
  static open(libc: Libc, name: string, length: number): SharedRegion {
    const path = `${SHM_DIRECTORY}/${name}`;
    const fd = libc.open(cPath(path), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) throw new Error(`cannot open ${path} (errno ${libc.errno()})`);
    try {
      return SharedRegion.#map(libc, path, fd, length);
    } finally {
      libc.close(fd);
    }
  }

  static #map(libc: Libc, path: string, fd: number, length: number): SharedRegion {
    const buffer = libc.mapShared(fd, length);
    if (!buffer) throw new Error(`cannot map ${path} (errno ${libc.errno()})`);
    return new SharedRegion(libc, path, buffer);
  }

  /** Removes the file's name (once every rank has mapped it); the memory stays mapped. */
  unlink(): void {
    if (this.#unlinked) return;
    this.#unlinked = true;
    this.#libc.unlink(cPath(this.path));
  }

  /**
   * Unmaps the region from this process (the memory goes once every rank has): no view of it may be touched
   * afterwards. Does nothing the second time.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#libc.munmap(this.bytes);
  }

  /** Sleeps while word `index` holds `expected`, for up to `timeoutMs`, or until {@linkcode wake}. */
  wait(index: number, expected: number, timeoutMs: number): void {
    this.#libc.futexWait(this.#word(index), expected, timeoutMs);
  }

  /** Wakes every rank sleeping on word `index`. */
  wake(index: number): void {
    this.#libc.futexWake(this.#word(index));
  }

  /** Gives the processor to another process. */
  yieldProcessor(): void {
    this.#libc.sched_yield();
  }

  #word(index: number): Uint8Array {
    return this.bytes.subarray(index * 4, index * 4 + 4);
  }
}

/**
 * Host-shared memory for the collectives of a communicator whose ranks share a host (the `SharedMemory` port
 * of `collectives/shared.ts`) and for rings between two ranks (`rings.ts`): regions named after this process
 * and a random suffix.
 *
 * @example
 * ```ts ignore
 * const shared = new HostSharedMemory(libc, process.pid);
 * const region = shared.create(shared.uniqueName("c0"), 1 << 20);
 * ```
 */
export class HostSharedMemory {
  /** Do the host's ranks outnumber its cores (waiting ranks give their core away)? Known after the rendezvous. */
  crowded = false;
  readonly #libc: Libc;
  readonly #pid: number;

  constructor(libc: Libc, pid: number) {
    this.#libc = libc;
    this.#pid = pid;
  }

  create(name: string, length: number): SharedRegion {
    return SharedRegion.create(this.#libc, name, length);
  }

  open(name: string, length: number): SharedRegion {
    return SharedRegion.open(this.#libc, name, length);
  }

  uniqueName(label: string): string {
    const suffix = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, "0");
    return `${regionPrefix(this.#pid)}${label}-${suffix}`;
  }
}
