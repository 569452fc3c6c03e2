/**
 * Memory shared by the ranks of one host: a file in memory with no name in any folder (`memfd_create(2)`),
 * which one rank makes and keeps open while the others open it through its link under `/proc` (as UCX's
 * shared-memory transport does) and map it, each into its own address space through the C library. The
 * creator closes the file once every rank has mapped it: from then on nobody can open it, and its memory goes
 * when the last rank unmaps it or exits. Nothing is ever named under `/dev/shm`, so nothing is left behind
 * however the job ends, whoever started the ranks (the launcher, an ssh agent, `srun`) and whatever signal
 * ended them. Words are read and written with `Atomics`; a rank that has waited long sleeps in `futex(2)` on
 * a word, and whoever changes it wakes the sleepers.
 *
 * Implements the `SharedMemory` port of `collectives/shared.ts`.
 *
 * @module
 */

import { type Libc, MFD_CLOEXEC, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR } from "../runtime/libc.ts";

/** A region's address, as its creator hands it to the others: the file's link and the file's own name. */
const ADDRESS = /^\/proc\/(\d+)\/fd\/(\d+) (mpirun-deno-[\w-]+)$/;

/**
 * `address` (a region's {@linkcode SharedRegion.address}) with its creator named `pid`: how a process that
 * names the creator by another number (from another PID namespace) reaches it. Undefined if `address` is
 * not a region's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressThrough } from "./shared_memory.ts";
 * assert.equal(addressThrough("/proc/7/fd/21 mpirun-deno-r1-0badcafe", 4242), "/proc/4242/fd/21 mpirun-deno-r1-0badcafe");
 * assert.equal(addressThrough("/dev/shm/x", 4242), undefined);
 * ```
 */
export function addressThrough(address: string, pid: number): string | undefined {
  const match = ADDRESS.exec(address);
  return match ? `/proc/${pid}/fd/${match[2]} ${match[3]}` : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A NUL-terminated string for the C library. */
function cString(text: string): Uint8Array {
  return encoder.encode(`${text}\0`);
}

/** What the link `path` points to (`/memfd:<name> (deleted)` for a file in memory), or "" if it is none. */
function linkTarget(libc: Libc, path: string): string {
  const target = new Uint8Array(256);
  const count = libc.readlink(cString(path), target, target.length);
  return count > 0 ? decoder.decode(target.subarray(0, count)) : "";
}

/**
 * A mapped region of shared memory.
 *
 * @example
 * ```ts ignore
 * const region = SharedRegion.create(libc, process.pid, "c0", 1 << 20);
 * const other = SharedRegion.open(libc, region.address, 1 << 20); // in another rank of the host
 * region.unlink(); // once every rank has mapped it
 * Atomics.store(region.words, 0, 1);
 * region.wake(0);
 * ```
 */
export class SharedRegion {
  /**
   * How another process of this host opens the region while its creator keeps it open: the link
   * `/proc/<pid>/fd/<fd>` and, after a space, the file's name (see {@linkcode SharedRegion.open}).
   */
  readonly address: string;
  /** Every byte of the region. */
  readonly bytes: Uint8Array;
  /** The region as 32-bit words, for `Atomics`. */
  readonly words: Int32Array;
  readonly #libc: Libc;
  /** The creator's descriptor, until {@linkcode unlink}; -1 in the others. */
  #fd: number;
  #released = false;

  private constructor(libc: Libc, address: string, buffer: ArrayBuffer, fd: number) {
    this.#libc = libc;
    this.address = address;
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.#fd = fd;
  }

  /**
   * Makes a file in memory of `length` bytes, all reserved (so that touching its memory never fails for want
   * of space), named after `label` and a random suffix, and maps it; `pid` is this process's own, which its
   * address names (see {@linkcode addressThrough}). Throws, naming the step and the error, if any step fails.
   */
  static create(libc: Libc, pid: number, label: string, length: number): SharedRegion {
    const suffix = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, "0");
    const name = `mpirun-deno-${label}-${suffix}`;
    const fd = libc.memfd_create(cString(name), MFD_CLOEXEC);
    if (fd < 0) {
      throw new Error(`cannot make the shared region ${name} (memfd_create: errno ${libc.errno()})`);
    }
    try {
      const error = libc.posix_fallocate(fd, 0, length);
      if (error !== 0) throw new Error(`cannot reserve ${length} bytes for ${name} (errno ${error})`);
      const buffer = libc.mapShared(fd, length);
      if (!buffer) throw new Error(`cannot map ${name} (errno ${libc.errno()})`);
      return new SharedRegion(libc, `/proc/${pid}/fd/${fd} ${name}`, buffer, fd);
    } catch (error) {
      libc.close(fd);
      throw error;
    }
  }

  /**
   * Opens and maps the region at `address` (another rank's {@linkcode address}) of `length` bytes. Throws if
   * `address` is not a region's, if its creator has closed it (or is gone), or if the link now leads to
   * another file: a descriptor number its creator has since reused.
   */
  static open(libc: Libc, address: string, length: number): SharedRegion {
    const match = ADDRESS.exec(address);
    if (!match) throw new Error(`"${address}" is not the address of a shared region`);
    const [, pid, fd, name] = match;
    const link = `/proc/${pid}/fd/${fd}`;
    const region = `/memfd:${name} (deleted)`;
    // Looked at before it is opened (a number its creator reused, or a process of another PID namespace, may
    // hold anything: it is not opened), and again once open (it may have changed in between). The flags keep
    // an open of something else from blocking or taking a terminal.
    const target = linkTarget(libc, link);
    if (target !== region) {
      throw new Error(`${link} leads to ${target || "no file"}, not to the shared region ${name}`);
    }
    const own = libc.open(cString(link), O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
    if (own < 0) throw new Error(`cannot open ${link} (errno ${libc.errno()})`);
    try {
      const opened = linkTarget(libc, `/proc/self/fd/${own}`);
      if (opened !== region) {
        throw new Error(`${link} leads to ${opened || "an unknown file"}, not to the shared region ${name}`);
      }
      const buffer = libc.mapShared(own, length);
      if (!buffer) throw new Error(`cannot map ${link} (errno ${libc.errno()})`);
      return new SharedRegion(libc, address, buffer, -1);
    } finally {
      libc.close(own);
    }
  }

  /**
   * Creator: closes the file once every rank has mapped it, so that nobody else can open it; the memory
   * stays mapped. Does nothing in the other ranks, or the second time.
   */
  unlink(): void {
    if (this.#fd < 0) return;
    this.#libc.close(this.#fd);
    this.#fd = -1;
  }

  /**
   * Unmaps the region from this process (the memory goes once every rank has), closing the file first if
   * this process made it and still has it open: no view of it may be touched afterwards. Does nothing the
   * second time.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.unlink();
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
 * of `collectives/shared.ts`) and for rings between two ranks (`rings.ts`).
 *
 * @example
 * ```ts ignore
 * const shared = new HostSharedMemory(libc, process.pid);
 * const region = shared.create("c0", 1 << 20); // others: shared.open(region.address, 1 << 20)
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

  create(label: string, length: number): SharedRegion {
    return SharedRegion.create(this.#libc, this.#pid, label, length);
  }

  open(address: string, length: number): SharedRegion {
    return SharedRegion.open(this.#libc, address, length);
  }
}
