/**
 * Copies from another process of this host straight into a buffer of this one (`process_vm_readv`, Linux's
 * cross-memory attach, which Open MPI's shared-memory transport also uses): the receiver of a large message
 * between two ranks of one host reads it from the sender's memory in one system call. The bytes are copied
 * once, where a socket copies them twice (into the kernel and out of it) in pieces of its buffer size.
 *
 * It needs permission to read the other process (same user; a Yama `ptrace_scope` of 0), which a failed
 * read reveals; callers then fall back to the socket. The other process's id comes from its Unix socket
 * (`SocketHandle.peerProcess`), so it is right even across PID namespaces.
 *
 * @module
 */

import type { CrossMemoryCall, Libc } from "../runtime/libc.ts";

/** Bytes one `process_vm_readv` or `_writev` call is asked for (its result is read as a 32-bit count). */
const MAX_COPY = 1 << 30;
const TWO_TO_32 = 2 ** 32;

/**
 * Reads of other processes' memory, and the addresses that let them read ours.
 *
 * @example
 * ```ts ignore
 * const memory = new CrossMemory(libc);
 * const address = memory.addressOf(payload); // sent to the peer
 * // in the peer, with the sender's pid:
 * const ok = memory.read(pid, address, target);
 * ```
 */
export class CrossMemory {
  #libc: Libc;
  #local = new Uint8Array(16);
  #remote = new Uint8Array(16);
  #localView = new DataView(this.#local.buffer);
  #remoteView = new DataView(this.#remote.buffer);

  constructor(libc: Libc) {
    this.#libc = libc;
  }

  /**
   * The address of the first byte of `view`, for another process to read. It stays valid while `view` is
   * alive (neither runtime moves the memory of a typed array this large: at least 64 KiB).
   */
  addressOf(view: Uint8Array): number {
    return this.#libc.addressOf(view);
  }

  /** Copies `target.length` bytes at `address` in process `pid` into `target`. False if any of them failed. */
  read(pid: number, address: number, target: Uint8Array): boolean {
    return this.#copy(this.#libc.process_vm_readv, pid, address, target);
  }

  /**
   * Copies `source` to `address` in process `pid` (`process_vm_writev`): the sender of a large message
   * writes its share of it into the receiver's buffer while the receiver reads the rest. False if any byte
   * failed.
   */
  write(pid: number, address: number, source: Uint8Array): boolean {
    return this.#copy(this.#libc.process_vm_writev, pid, address, source);
  }

  /** Runs `call` (`process_vm_readv` or `_writev`) over `local` and the same length at `address` in `pid`. */
  #copy(call: CrossMemoryCall, pid: number, address: number, local: Uint8Array): boolean {
    const base = this.#libc.addressOf(local);
    let offset = 0;
    while (offset < local.length) {
      const length = Math.min(local.length - offset, MAX_COPY);
      putIovec(this.#localView, base + offset, length);
      putIovec(this.#remoteView, address + offset, length);
      const count = call(pid, this.#local, 1, this.#remote, 1, 0);
      if (count <= 0) return false;
      offset += count;
    }
    return true;
  }
}

/** Writes a `struct iovec` (u64 address, u64 length) without a bigint. */
function putIovec(view: DataView, address: number, length: number): void {
  view.setUint32(0, address % TWO_TO_32, true);
  view.setUint32(4, Math.floor(address / TWO_TO_32), true);
  view.setUint32(8, length, true);
  view.setUint32(12, 0, true);
}
