/**
 * The few C library calls that let a rank move bytes over Unix domain sockets without the event loop: socket,
 * connect, accept, send and recv without blocking, poll and sched_yield, through the runtime's foreign
 * function interface (`Deno.dlopen`, `bun:ffi`); and, for ranks of one host, `getsockopt(SO_PEERCRED)` (the
 * process at the other end of a socket), `process_vm_readv` (a copy straight from that process's memory),
 * `prctl(PR_SET_PDEATHSIG)` with `getppid` (a rank dies with the process that started it), and shared
 * memory: a file without a name that one rank makes (`memfd_create`, `posix_fallocate`) and every rank maps
 * (`open` of its `/proc` link, `mmap`), with `futex` to sleep and wake on its words. A waiting rank can then poll its sockets from JavaScript
 * (about 2.5 µs one way on Deno, 2 µs on Bun, against 15-20 µs and 4-5 µs through the runtimes' own sockets).
 *
 * Only Linux's glibc is bound. {@linkcode loadLibc} returns `undefined` where it cannot be loaded: another
 * system, Node, or a Deno run without `--allow-ffi`; callers then use the runtime's sockets.
 *
 * `size_t`/`ssize_t` arguments are declared 32-bit: 64-bit types take Deno's slow FFI path and return bigints,
 * and every length passed here is below 2^31 (reads and writes are cut to {@linkcode MAX_IO}).
 *
 * @module
 */

import { runtimeName } from "./detect.ts";
import { platform } from "./host.ts";

/**
 * `process_vm_readv(2)` or `process_vm_writev(2)`, with `struct iovec` arrays (16 bytes each: u64 address,
 * u64 length) for this process's side and `pid`'s.
 */
export type CrossMemoryCall = (
  pid: number,
  localIov: Uint8Array,
  localCount: number,
  remoteIov: Uint8Array,
  remoteCount: number,
  flags: number,
) => number;

/** The calls, with numbers for every integer and `Uint8Array`s for every pointer. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, flags: number): number;
  connect(fd: number, address: Uint8Array, length: number): number;
  send(fd: number, bytes: Uint8Array, length: number, flags: number): number;
  recv(fd: number, bytes: Uint8Array, length: number, flags: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  /** `poll(2)` on `count` `struct pollfd` (8 bytes each: i32 fd, i16 events, i16 revents) in `fds`. */
  poll(fds: Uint8Array, count: number, timeoutMs: number): number;
  sched_yield(): number;
  /** `setsockopt(2)` with an option value of `length` bytes. */
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  /** `getsockname(2)`: this end's address; `length` holds the u32 `socklen_t` in and out. */
  getsockname(fd: number, address: Uint8Array, length: Uint8Array): number;
  /** `getpeername(2)`: the other end's address; `length` holds the u32 `socklen_t` in and out. */
  getpeername(fd: number, address: Uint8Array, length: Uint8Array): number;
  /** `getsockopt(2)`; `valueLength` holds the u32 `socklen_t` in and out. */
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, valueLength: Uint8Array): number;
  /** `process_vm_readv(2)`: copies from process `pid` into this one. */
  process_vm_readv: CrossMemoryCall;
  /** `process_vm_writev(2)`: copies from this process into `pid`. */
  process_vm_writev: CrossMemoryCall;
  /** `open(2)` of a NUL-terminated path. */
  open(path: Uint8Array, flags: number, mode: number): number;
  /** `posix_fallocate(3)`: reserves the file's blocks (0, or an error number; never sets errno). */
  posix_fallocate(fd: number, offset: number, length: number): number;
  /** `memfd_create(2)`: a file in memory with no name in any folder; `name` (NUL-terminated) is for show. */
  memfd_create(name: Uint8Array, flags: number): number;
  /** `readlink(2)` of a NUL-terminated path into `target`: the byte count, or -1. */
  readlink(path: Uint8Array, target: Uint8Array, size: number): number;
  /**
   * Maps `length` bytes of the file `fd` shared and read-write (`mmap(2)` with `MAP_SHARED`), as an
   * `ArrayBuffer` over that memory; `undefined` if the mapping failed. The mapping lives until
   * {@linkcode Libc.munmap}: whoever unmaps it must never touch a view of it again.
   */
  mapShared(fd: number, length: number): ArrayBuffer | undefined;
  /** `munmap(2)` of the mapping that `view` covers whole (from {@linkcode Libc.mapShared}). */
  munmap(view: Uint8Array): number;
  /**
   * `futex(2)` `FUTEX_WAIT` on the shared 32-bit word `word` (a 4-byte view of mapped memory): sleeps while
   * it holds `expected`, for up to `timeoutMs`, or until a {@linkcode Libc.futexWake} on it.
   */
  futexWait(word: Uint8Array, expected: number, timeoutMs: number): void;
  /** `futex(2)` `FUTEX_WAKE`: wakes every process sleeping on `word`. */
  futexWake(word: Uint8Array): void;
  /** `prctl(2)` with one argument (`PR_SET_PDEATHSIG` and a signal number). */
  prctl(option: number, argument: number): number;
  /** `getppid(2)`: this process's parent. */
  getppid(): number;
  /** The address of the first byte of `view` (stable while `view` is alive: its memory never moves). */
  addressOf(view: Uint8Array): number;
  /** The calling thread's `errno`, read right after a call that failed. */
  errno(): number;
}

/** Constants of Linux (x86-64 and arm64 share them). */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const SHUT_WR = 1;
export const POLLIN = 1;
export const POLLOUT = 4;
export const EINTR = 4;
export const EAGAIN = 11;
export const EINPROGRESS = 115;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
export const SO_PEERCRED = 17;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const O_RDWR = 0o2;
export const O_CLOEXEC = 0o2000000;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const MFD_CLOEXEC = 1;
const PROT_READ_WRITE = 3;
const MAP_SHARED = 1;
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
/** Is this arm64 (the generic system call table) rather than x86-64? */
const ARM64 = (globalThis as { Deno?: { build: { arch: string } } }).Deno?.build.arch === "aarch64" ||
  (globalThis as { process?: { arch: string } }).process?.arch === "arm64";
/** The `futex` system call's number. */
const SYS_FUTEX = ARM64 ? 98 : 202;
/**
 * The `memfd_create` system call's number: called through `syscall`, not glibc's wrapper, which only glibc
 * 2.27 and later have (a missing symbol would leave the whole C library unbound).
 */
const SYS_MEMFD_CREATE = ARM64 ? 279 : 319;
export const PR_SET_PDEATHSIG = 1;
export const SIGKILL = 9;
/** Largest count passed to one send or recv (below 2^31, see the module notes). */
export const MAX_IO = 1 << 30;

const LIBC = "libc.so.6";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

function loadDeno(): Libc {
  const { symbols } = globals.Deno.dlopen(LIBC, {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    listen: { parameters: ["i32", "i32"], result: "i32" },
    accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
    connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    send: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
    recv: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
    shutdown: { parameters: ["i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    poll: { parameters: ["buffer", "u32", "i32"], result: "i32" },
    sched_yield: { parameters: [], result: "i32" },
    getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    process_vm_readv: { parameters: ["i32", "buffer", "u32", "buffer", "u32", "u32"], result: "i32" },
    process_vm_writev: { parameters: ["i32", "buffer", "u32", "buffer", "u32", "u32"], result: "i32" },
    open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    posix_fallocate: { parameters: ["i32", "i64", "i64"], result: "i32" },
    readlink: { parameters: ["buffer", "buffer", "u32"], result: "i32" },
    mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
    munmap: { parameters: ["buffer", "usize"], result: "i32" },
    syscall: { parameters: ["i64", "buffer", "i32", "i32", "buffer", "pointer", "i32"], result: "i64" },
    prctl: { parameters: ["i32", "u64"], result: "i32" },
    getppid: { parameters: [], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
  });
  const errnoView = new globals.Deno.UnsafePointerView(symbols.__errno_location());
  const { UnsafePointer } = globals.Deno;
  return bind(
    symbols,
    () => errnoView.getInt32(0),
    (view) => Number(UnsafePointer.value(UnsafePointer.of(view))),
    (fd, length) => {
      const address = symbols.mmap(null, length, PROT_READ_WRITE, MAP_SHARED, fd, 0);
      if (address === null || UnsafePointer.value(address) === MAP_FAILED) return undefined;
      return globals.Deno.UnsafePointerView.getArrayBuffer(address, length);
    },
    (number, pointer, a, b, other) => symbols.syscall(number, pointer, a, b, other, null, 0),
  );
}

function loadBun(): Libc {
  // A static import of "bun:ffi" would not load on Deno; Bun's `import.meta.require` loads it synchronously,
  // in a compiled binary too.
  // deno-lint-ignore no-explicit-any
  const ffi = (import.meta as any).require("bun:ffi");
  const { i32, u32, i64, u64, ptr } = ffi.FFIType;
  const { symbols } = ffi.dlopen(LIBC, {
    socket: { args: [i32, i32, i32], returns: i32 },
    bind: { args: [i32, ptr, u32], returns: i32 },
    listen: { args: [i32, i32], returns: i32 },
    accept4: { args: [i32, ptr, ptr, i32], returns: i32 },
    connect: { args: [i32, ptr, u32], returns: i32 },
    send: { args: [i32, ptr, u32, i32], returns: i32 },
    recv: { args: [i32, ptr, u32, i32], returns: i32 },
    shutdown: { args: [i32, i32], returns: i32 },
    close: { args: [i32], returns: i32 },
    poll: { args: [ptr, u32, i32], returns: i32 },
    sched_yield: { args: [], returns: i32 },
    getsockopt: { args: [i32, i32, i32, ptr, ptr], returns: i32 },
    setsockopt: { args: [i32, i32, i32, ptr, u32], returns: i32 },
    getsockname: { args: [i32, ptr, ptr], returns: i32 },
    getpeername: { args: [i32, ptr, ptr], returns: i32 },
    process_vm_readv: { args: [i32, ptr, u32, ptr, u32, u32], returns: i32 },
    process_vm_writev: { args: [i32, ptr, u32, ptr, u32, u32], returns: i32 },
    open: { args: [ptr, i32, i32], returns: i32 },
    posix_fallocate: { args: [i32, i64, i64], returns: i32 },
    readlink: { args: [ptr, ptr, u32], returns: i32 },
    mmap: { args: [ptr, u64, i32, i32, i32, i64], returns: ptr },
    munmap: { args: [ptr, u64], returns: i32 },
    syscall: { args: [i64, ptr, i32, i32, ptr, ptr, i32], returns: i64 },
    prctl: { args: [i32, ffi.FFIType.u64], returns: i32 },
    getppid: { args: [], returns: i32 },
    __errno_location: { args: [], returns: ptr },
  });
  const errnoAt = symbols.__errno_location();
  return bind(
    symbols,
    () => ffi.read.i32(errnoAt, 0),
    (view) => ffi.ptr(view),
    (fd, length) => {
      const address = symbols.mmap(null, length, PROT_READ_WRITE, MAP_SHARED, fd, 0);
      if (!address || BigInt(address) === MAP_FAILED) return undefined;
      return ffi.toArrayBuffer(address, 0, length);
    },
    (number, pointer, a, b, other) =>
      symbols.syscall(number, ffi.ptr(pointer), a, b, other && ffi.ptr(other), null, 0),
  );
}

/** `mmap`'s `MAP_FAILED`, `(void *) -1`, as an unsigned 64-bit address. */
const MAP_FAILED = 2n ** 64n - 1n;

/**
 * `syscall(2)` with the arguments `futex` and `memfd_create` need: a pointer, two integers and a pointer or
 * null (futex: word, operation, value, `struct timespec *`). Returns what the call returned (-1 on an error).
 */
type SystemCall = (
  number: number,
  pointer: Uint8Array,
  a: number,
  b: number,
  other: Uint8Array | null,
) => number | bigint;

/**
 * The {@linkcode Libc} of a runtime's loaded symbols (the same names on both), its errno, its pointers, its
 * shared mappings and its system calls.
 */
function bind(
  // deno-lint-ignore no-explicit-any
  symbols: any,
  errno: () => number,
  addressOf: (view: Uint8Array) => number,
  mapShared: (fd: number, length: number) => ArrayBuffer | undefined,
  call: SystemCall,
): Libc {
  const timespec = new BigInt64Array(2);
  const timeout = new Uint8Array(timespec.buffer);
  return {
    open: symbols.open,
    posix_fallocate: symbols.posix_fallocate,
    memfd_create: (name, flags) => Number(call(SYS_MEMFD_CREATE, name, flags, 0, null)),
    readlink: symbols.readlink,
    mapShared,
    munmap: (view) => symbols.munmap(view, view.byteLength),
    futexWait: (word, expected, timeoutMs) => {
      timespec[0] = BigInt(Math.floor(timeoutMs / 1000));
      timespec[1] = BigInt(Math.round((timeoutMs % 1000) * 1e6));
      call(SYS_FUTEX, word, FUTEX_WAIT, expected, timeout);
    },
    futexWake: (word) => {
      call(SYS_FUTEX, word, FUTEX_WAKE, 0x7fffffff, null);
    },
    socket: symbols.socket,
    bind: symbols.bind,
    listen: symbols.listen,
    accept4: (fd, flags) => symbols.accept4(fd, null, null, flags),
    connect: symbols.connect,
    send: symbols.send,
    recv: symbols.recv,
    shutdown: symbols.shutdown,
    close: symbols.close,
    poll: symbols.poll,
    sched_yield: symbols.sched_yield,
    getsockopt: symbols.getsockopt,
    setsockopt: symbols.setsockopt,
    getsockname: symbols.getsockname,
    getpeername: symbols.getpeername,
    process_vm_readv: symbols.process_vm_readv,
    process_vm_writev: symbols.process_vm_writev,
    prctl: symbols.prctl,
    getppid: symbols.getppid,
    addressOf,
    errno,
  };
}

let loaded: Libc | null | undefined;

/**
 * The C library, or `undefined` where it cannot be bound (see the module notes). Loaded once.
 *
 * @example
 * ```ts
 * import { loadLibc } from "./libc.ts";
 * const libc = loadLibc();
 * if (libc) libc.sched_yield();
 * ```
 */
export function loadLibc(): Libc | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  loaded = null;
  if (platform !== "linux") return undefined;
  try {
    if (runtimeName === "deno") loaded = loadDeno();
    else if (runtimeName === "bun") loaded = loadBun();
  } catch {
    // No permission (Deno without --allow-ffi), no glibc (musl), no FFI: the runtime's sockets do the job.
    loaded = null;
  }
  return loaded ?? undefined;
}

/**
 * A `struct sockaddr_un` for `path` and its length: a path that starts with a NUL byte is a Linux abstract
 * address (its length counts exactly its bytes), any other a file (NUL-terminated).
 */
export function unixAddress(path: string): { address: Uint8Array; length: number } {
  const name = new TextEncoder().encode(path);
  if (name.length === 0 || name.length > 107) {
    throw new Error(`Unix socket path ${JSON.stringify(path)} is empty or longer than 107 bytes`);
  }
  const address = new Uint8Array(110);
  address[0] = AF_UNIX; // sa_family_t, little-endian
  address.set(name, 2);
  return { address, length: 2 + name.length + (name[0] === 0 ? 0 : 1) };
}

/** Is `host` a dotted IPv4 address (the only kind of TCP address bound here)? */
export function isIPv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

/** A `struct sockaddr_in` (16 bytes) for the IPv4 address `host` and `port`. */
export function inet4Address(host: string, port: number): Uint8Array {
  if (!isIPv4(host)) throw new Error(`${JSON.stringify(host)} is not an IPv4 address`);
  const address = new Uint8Array(16);
  address[0] = AF_INET; // sa_family_t, little-endian
  address[2] = port >> 8; // the port in network byte order
  address[3] = port & 255;
  address.set(host.split(".").map(Number), 4);
  return address;
}

/** The `host:port` of a `struct sockaddr_in`. */
export function showInet4Address(address: Uint8Array): { host: string; port: number } {
  return { host: Array.from(address.subarray(4, 8)).join("."), port: (address[2] << 8) | address[3] };
}
