/**
 * Sockets driven from JavaScript through the C library ({@linkcode loadLibc}), behind {@linkcode SocketHandle}:
 * the rank-to-rank connections, over Unix domain sockets between ranks of one host and over TCP (IPv4)
 * between hosts. The event loop never sees these sockets; {@linkcode FfiReactor} moves their bytes when it is
 * pumped:
 *
 * - while a rank waits, {@linkcode Progress} pumps it in a loop for a bounded time (polling, as Open MPI does,
 *   with `sched_yield` between passes when the host has more ranks than cores), then lets it sleep in
 *   `poll(2)` in short slices, turning the event loop between them;
 * - while nothing waits, a timer pumps it every {@linkcode IDLE_PUMP_MS}, so that connections are accepted
 *   and bytes are read even between MPI calls.
 *
 * Writes go to the kernel at once when it takes them (no copy, no callback later); what it does not take is
 * kept as a view of the caller's bytes and written by later pumps, in order. Reads land in a slab that only
 * moves forward (a chunk handed to the reader is never written again), or straight in the reader's buffer
 * (`readInto`), so a large payload is copied by the kernel only. Closing is immediate: bytes the kernel took
 * are delivered to the peer even after this process exits.
 *
 * @module
 */

import {
  AF_INET,
  AF_UNIX,
  EAGAIN,
  EINPROGRESS,
  EINTR,
  inet4Address,
  IPPROTO_TCP,
  type Libc,
  MAX_IO,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  POLLIN,
  POLLOUT,
  showInet4Address,
  SHUT_WR,
  SO_ERROR,
  SO_PEERCRED,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
  unixAddress,
} from "../runtime/libc.ts";
import type { ListenerHandle, SocketHandle } from "../runtime/runtime.ts";
import { type TimerHandle, unrefTimer } from "../runtime/host.ts";
import { settle, showUnixPath, SocketBase } from "../runtime/socket_base.ts";

/** Bytes one socket may read in one pump before the others get their turn. */
const READ_BUDGET = 4 << 20;
/** How often the sockets are pumped while no operation waits. */
export const IDLE_PUMP_MS = 10;

/** Something the reactor pumps: a connected socket or a listener. */
interface Pumped {
  readonly fd: number;
  /** Moves what can be moved without blocking; true if anything was delivered. */
  pump(): boolean;
  /** The `poll(2)` events it waits for. */
  events(): number;
}

/**
 * Something the reactor checks on every pass without a system call (a ring in shared memory), and tells
 * before and after it sleeps in `poll(2)`, so that a producer knows to wake it through a socket.
 */
export interface PolledSource {
  /** Moves what can be moved; true if anything was delivered. */
  pump(): boolean;
  /** The reactor is about to sleep: true if there is something to read already (then it does not). */
  beforeSleep(): boolean;
  /** The reactor woke up. */
  afterSleep(): void;
  /** Bytes waiting to be written (they keep a waiting rank pumping). */
  readonly queued: number;
}

/**
 * With sources, only every this-many-th pass also polls the sockets (a system call, about 0.3 µs through the
 * foreign function interface: a spinning rank that polled them on every pass would spend most of its time
 * there, and notice a ring's message late).
 */
const POLL_EVERY = 16;
/**
 * The same, when no socket carries messages (each lies beneath a source, or listens): the polls then only
 * notice a peer's close and a new connection, which may wait a few microseconds.
 */
const QUIET_POLL_EVERY = 256;

/**
 * Every FFI socket of this process and the loop that moves their bytes.
 *
 * @example
 * ```ts ignore
 * const reactor = new FfiReactor(libc);
 * const listener = reactor.listenUnix("\0example", (socket) => socket.onData(console.log));
 * const socket = await reactor.connectUnix("\0example");
 * socket.write(new TextEncoder().encode("hi"));
 * while (!reactor.pump()) reactor.sleep(1);
 * ```
 */
export class FfiReactor {
  readonly libc: Libc;
  #members: Pumped[] = [];
  #sources: PolledSource[] = [];
  /** Sockets beneath a source: they carry no messages (see {@linkcode addSource}). */
  #beneathSources = new Set<SocketHandle>();
  #pollEvery = POLL_EVERY;
  #passes = 0;
  #pollfds = new Uint8Array(0);
  #pollfdsOf: Pumped[] | undefined;
  #idle: TimerHandle | undefined;
  /** Called when a socket has bytes queued that only pumping will write (so waiting must go on). */
  onBacklog: () => void = () => {};

  constructor(libc: Libc) {
    this.libc = libc;
  }

  /** Sockets (and sources) with bytes not taken yet, and connections still being made. */
  get backlog(): number {
    let count = 0;
    for (const member of this.#members) {
      if ((member instanceof FfiSocket && member.queued > 0) || member instanceof FfiConnecting) count++;
    }
    for (const source of this.#sources) if (source.queued > 0) count++;
    return count;
  }

  /**
   * One pass over every source and socket without blocking: accepts, writes, reads. True if anything was
   * delivered. With sources, the sockets are polled only every {@linkcode POLL_EVERY}-th pass, or every
   * {@linkcode QUIET_POLL_EVERY}-th when none of them carries messages (`everything`: this pass polls them).
   */
  pump(everything = false): boolean {
    const sources = this.#sources;
    if (sources.length === 0) return this.#poll(0);
    let delivered = false;
    for (const source of sources) if (source.pump()) delivered = true;
    if (++this.#passes % this.#pollEvery !== 0 && !everything) return delivered;
    return this.#poll(0) || delivered;
  }

  /**
   * Adds a source to check on every pass (see {@linkcode PolledSource}). `beneath`: a socket of this reactor
   * that the source's messages no longer travel on (it only tells of the peer's close, and wakes a sleeper).
   */
  addSource(source: PolledSource, beneath?: SocketHandle): void {
    this.#sources = [...this.#sources, source];
    if (beneath) this.#beneathSources.add(beneath);
    this.#idle ??= startIdlePump(this);
    this.#choosePollRate();
  }

  /** Removes a source, and what it said lies beneath it. */
  removeSource(source: PolledSource, beneath?: SocketHandle): void {
    this.#sources = this.#sources.filter((other) => other !== source);
    if (beneath) this.#beneathSources.delete(beneath);
    this.#choosePollRate();
  }

  /** Polls the sockets rarely while none of them carries messages (see {@linkcode QUIET_POLL_EVERY}). */
  #choosePollRate(): void {
    const carrying = this.#members.some((member) =>
      !(member instanceof FfiListener) && !this.#beneathSources.has(member as FfiSocket)
    );
    this.#pollEvery = carrying ? POLL_EVERY : QUIET_POLL_EVERY;
  }

  /**
   * Writes every socket's queued bytes, blocking for up to `timeoutMs`: for a process about to exit, whose
   * event loop will not turn again. True when nothing is left queued.
   */
  drain(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queued = this.#members.some((member) => member instanceof FfiSocket && member.queued > 0) ||
        this.#sources.some((source) => source.queued > 0);
      if (!queued) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      this.sleep(Math.min(left, 5));
    }
  }

  /**
   * Sleeps in `poll(2)` for up to `timeoutMs` until a socket is ready (a source's producer writes to one to
   * wake this process), then pumps.
   */
  sleep(timeoutMs: number): boolean {
    const sources = this.#sources;
    if (sources.length === 0) return this.#poll(timeoutMs);
    let ready = false;
    for (const source of sources) if (source.beforeSleep()) ready = true;
    let delivered = this.#poll(ready ? 0 : timeoutMs);
    for (const source of sources) source.afterSleep();
    for (const source of sources) if (source.pump()) delivered = true;
    return delivered;
  }

  /**
   * One `poll(2)` over every member (a single system call however many sockets there are), then a pump of
   * the ready ones. Members added or removed meanwhile replace the array, so this pass keeps its own.
   */
  #poll(timeoutMs: number): boolean {
    const members = this.#members;
    const count = members.length;
    if (count === 0) return false;
    if (this.#pollfds.length !== count * 8 || this.#pollfdsOf !== members) {
      this.#pollfds = new Uint8Array(count * 8);
      this.#pollfdsOf = members;
      const view = new DataView(this.#pollfds.buffer);
      for (let i = 0; i < count; i++) view.setInt32(i * 8, members[i].fd, true);
    }
    const fds = this.#pollfds;
    for (let i = 0; i < count; i++) {
      fds[i * 8 + 4] = members[i].events();
      fds[i * 8 + 6] = 0;
      fds[i * 8 + 7] = 0;
    }
    if (this.libc.poll(fds, count, timeoutMs) <= 0) return false;
    let delivered = false;
    for (let i = 0; i < count; i++) {
      if ((fds[i * 8 + 6] | fds[i * 8 + 7]) !== 0 && members[i].pump()) delivered = true;
    }
    return delivered;
  }

  /** Gives the processor to another process (when ranks outnumber cores). */
  yieldProcessor(): void {
    this.libc.sched_yield();
  }

  /** Listens on the Unix domain socket `path` ("\0name": a Linux abstract socket). */
  listenUnix(path: string, onConnection: (socket: SocketHandle) => void): ListenerHandle {
    const { address, length } = unixAddress(path);
    const wrap = (fd: number) => this.adopt(fd, path);
    const listener = this.#listen(AF_UNIX, address, length, showUnixPath(path), wrap, onConnection);
    return { host: path, port: 0, close: () => listener.close(), unref: () => {} };
  }

  /** Listens on TCP `host:port` (an IPv4 address; port 0 picks a free one). */
  listenTcp(host: string, port: number, onConnection: (socket: SocketHandle) => void): ListenerHandle {
    const address = inet4Address(host, port);
    const wrap = (fd: number) => this.#adoptTcp(fd);
    const listener = this.#listen(AF_INET, address, 16, `${host}:${port}`, wrap, onConnection);
    this.libc.getsockname(listener.fd, address, Uint8Array.of(16, 0, 0, 0));
    return { host, port: showInet4Address(address).port, close: () => listener.close(), unref: () => {} };
  }

  /** A listening socket of `domain` bound to `address`, whose accepted descriptors `wrap` turns into sockets. */
  #listen(
    domain: number,
    address: Uint8Array,
    length: number,
    where: string,
    wrap: (fd: number) => FfiSocket,
    onConnection: (socket: SocketHandle) => void,
  ): FfiListener {
    const { libc } = this;
    const fd = libc.socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw errnoError(libc, `socket() for ${where}`);
    if (domain === AF_INET) setFlag(libc, fd, SOL_SOCKET, SO_REUSEADDR);
    if (libc.bind(fd, address, length) < 0 || libc.listen(fd, 511) < 0) {
      const error = errnoError(libc, `listen on ${where}`);
      libc.close(fd);
      throw error;
    }
    const listener = new FfiListener(this, fd, wrap, onConnection);
    this.add(listener);
    return listener;
  }

  /**
   * Connects to TCP `host:port` (an IPv4 address); rejects when nobody listens there. The connection is made
   * as the reactor is pumped (it counts as {@linkcode backlog} meanwhile, so a waiting rank pumps it).
   */
  connectTcp(host: string, port: number): Promise<SocketHandle> {
    const { libc } = this;
    return settle(() => {
      const fd = libc.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) throw errnoError(libc, `socket() for ${host}:${port}`);
      if (libc.connect(fd, inet4Address(host, port), 16) === 0) return this.#adoptTcp(fd);
      const errno = libc.errno();
      if (errno !== EINPROGRESS) {
        libc.close(fd);
        throw errnoError(libc, `connect to ${host}:${port}`, errno);
      }
      return new Promise<SocketHandle>((resolve, reject) => {
        const connecting = new FfiConnecting(fd, () => {
          this.remove(connecting);
          const value = new Uint8Array(4);
          const failed = libc.getsockopt(fd, SOL_SOCKET, SO_ERROR, value, Uint8Array.of(4, 0, 0, 0)) < 0
            ? libc.errno()
            : new DataView(value.buffer).getInt32(0, true);
          if (failed === 0) return resolve(this.#adoptTcp(fd));
          libc.close(fd);
          reject(errnoError(libc, `connect to ${host}:${port}`, failed));
        });
        this.add(connecting);
        this.onBacklog();
      });
    });
  }

  /** Wraps a connected TCP descriptor: no Nagle delay, and both ends' addresses for messages. */
  #adoptTcp(fd: number): FfiSocket {
    const { libc } = this;
    setFlag(libc, fd, IPPROTO_TCP, TCP_NODELAY);
    const remote = new Uint8Array(16);
    const local = new Uint8Array(16);
    libc.getpeername(fd, remote, Uint8Array.of(16, 0, 0, 0));
    libc.getsockname(fd, local, Uint8Array.of(16, 0, 0, 0));
    const { host, port } = showInet4Address(remote);
    const socket = new FfiSocket(this, fd, `${host}:${port}`, false, showInet4Address(local).host);
    this.add(socket);
    return socket;
  }

  /** Connects to the Unix domain socket `path`; rejects when nobody listens there (or its queue is full). */
  connectUnix(path: string): Promise<SocketHandle> {
    const { libc } = this;
    return settle(() => {
      const fd = libc.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) throw errnoError(libc, `socket() for ${showUnixPath(path)}`);
      const { address, length } = unixAddress(path);
      // A Unix socket connects at once or not at all (EAGAIN: the listener's queue is full).
      if (libc.connect(fd, address, length) < 0) {
        const error = errnoError(libc, `connect to ${showUnixPath(path)}`);
        libc.close(fd);
        throw error;
      }
      return this.adopt(fd, path);
    });
  }

  /** @internal Wraps a connected Unix socket descriptor. */
  adopt(fd: number, path: string): FfiSocket {
    const socket = new FfiSocket(this, fd, showUnixPath(path), true, "127.0.0.1");
    this.add(socket);
    return socket;
  }

  /** @internal */
  add(member: Pumped): void {
    this.#members = [...this.#members, member];
    this.#idle ??= startIdlePump(this);
    this.#choosePollRate();
  }

  /** @internal */
  remove(member: Pumped): void {
    this.#members = this.#members.filter((other) => other !== member);
    this.#choosePollRate();
    if (this.#members.length === 0 && this.#sources.length === 0 && this.#idle) {
      clearInterval(this.#idle);
      this.#idle = undefined;
    }
  }
}

function startIdlePump(reactor: FfiReactor): TimerHandle {
  const timer = setInterval(() => reactor.pump(true), IDLE_PUMP_MS);
  unrefTimer(timer);
  return timer;
}

/** Sets a boolean socket option. */
function setFlag(libc: Libc, fd: number, level: number, name: number): void {
  libc.setsockopt(fd, level, name, Uint8Array.of(1, 0, 0, 0), 4);
}

/** A TCP connection being made: pumped once the socket is writable (connected) or failed. */
class FfiConnecting implements Pumped {
  readonly fd: number;
  #settle: () => void;

  constructor(fd: number, settle: () => void) {
    this.fd = fd;
    this.#settle = settle;
  }

  events(): number {
    return POLLOUT;
  }

  pump(): boolean {
    this.#settle();
    return true;
  }
}

class FfiListener implements Pumped {
  readonly fd: number;
  #reactor: FfiReactor;
  #wrap: (fd: number) => FfiSocket;
  #onConnection: (socket: SocketHandle) => void;
  #closed = false;

  constructor(
    reactor: FfiReactor,
    fd: number,
    wrap: (fd: number) => FfiSocket,
    onConnection: (socket: SocketHandle) => void,
  ) {
    this.#reactor = reactor;
    this.fd = fd;
    this.#wrap = wrap;
    this.#onConnection = onConnection;
  }

  events(): number {
    return POLLIN;
  }

  pump(): boolean {
    let accepted = false;
    while (!this.#closed) {
      const fd = this.#reactor.libc.accept4(this.fd, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break; // EAGAIN: nobody else is waiting (other errors: the dialler gave up)
      accepted = true;
      this.#onConnection(this.#wrap(fd));
    }
    return accepted;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reactor.libc.close(this.fd);
    this.#reactor.remove(this);
  }
}

/** One connected socket: Unix domain or TCP. */
export class FfiSocket extends SocketBase implements Pumped {
  readonly fd: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly #unix: boolean;
  #reactor: FfiReactor;
  #libc: Libc;
  /** 0: not asked yet; -1: not visible. */
  #peerProcess = 0;

  constructor(reactor: FfiReactor, fd: number, remoteAddress: string, unix: boolean, localAddress: string) {
    super();
    this.#reactor = reactor;
    this.#libc = reactor.libc;
    this.fd = fd;
    this.remoteAddress = remoteAddress;
    this.localAddress = localAddress;
    this.#unix = unix;
  }

  /** A Unix socket: the other end runs on this host (see `SocketHandle.sameHost`). */
  get sameHost(): boolean {
    return this.#unix;
  }

  /**
   * The process at the other end (`SO_PEERCRED`), numbered as this process sees it (the kernel translates
   * between PID namespaces); undefined when it is not visible from here.
   */
  get peerProcess(): number | undefined {
    if (!this.#unix) return undefined; // the other end may be on another host
    if (this.#peerProcess === 0) {
      const credentials = new Uint8Array(12); // struct ucred: pid, uid, gid
      const length = Uint8Array.of(12, 0, 0, 0);
      const ok = this.#libc.getsockopt(this.fd, SOL_SOCKET, SO_PEERCRED, credentials, length) === 0;
      const pid = ok ? new DataView(credentials.buffer).getInt32(0, true) : 0;
      this.#peerProcess = pid > 0 ? pid : -1;
    }
    return this.#peerProcess > 0 ? this.#peerProcess : undefined;
  }

  destroy(): void {
    this.#close(undefined);
  }

  unref(): void {
    // The event loop does not see these sockets: nothing to release.
  }

  ref(): void {
    // Pending operations keep the process alive (see Progress), not sockets.
  }

  events(): number {
    return this.pending.length > 0 ? POLLIN | POLLOUT : POLLIN;
  }

  pump(): boolean {
    if (this.closed) return false;
    if (this.pending.length > 0) this.flushPending();
    return this.#read();
  }

  /** Sends what the kernel takes now: the count, or -1 after closing the socket on an error. */
  protected writeNow(bytes: Uint8Array): number {
    const libc = this.#libc;
    let offset = 0;
    while (offset < bytes.length) {
      const view = offset === 0 ? bytes : bytes.subarray(offset);
      const count = libc.send(this.fd, view, Math.min(view.length, MAX_IO), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (count > 0) {
        offset += count;
        continue;
      }
      const errno = libc.errno();
      if (count < 0 && errno === EINTR) continue;
      if (count < 0 && errno === EAGAIN) break;
      this.#close(errnoError(libc, `send to ${this.remoteAddress}`, errno));
      return -1;
    }
    return offset;
  }

  protected override queuedWrite(): void {
    this.#reactor.onBacklog();
  }

  protected finishEnd(): void {
    this.#libc.shutdown(this.fd, SHUT_WR);
    this.#close(undefined);
  }

  #read(): boolean {
    const libc = this.#libc;
    let delivered = false;
    let budget = READ_BUDGET;
    while (!this.closed && budget > 0) {
      const target = this.readTarget();
      const count = libc.recv(this.fd, target, Math.min(target.length, MAX_IO), MSG_DONTWAIT);
      if (count === 0) {
        this.#close(undefined);
        return true;
      }
      if (count < 0) {
        const errno = libc.errno();
        if (errno === EINTR) continue;
        if (errno !== EAGAIN) {
          this.#close(errnoError(libc, `recv from ${this.remoteAddress}`, errno));
          return true;
        }
        return delivered;
      }
      budget -= count;
      delivered = true;
      this.received(target, count);
      if (count < target.length) return true; // the kernel had no more: spare a recv that says so
    }
    return delivered;
  }

  #close(error: Error | undefined): void {
    if (this.closed) return;
    this.#libc.close(this.fd);
    this.#reactor.remove(this);
    this.markClosed(error);
  }
}

function errnoError(libc: Libc, what: string, errno = libc.errno()): Error {
  const error = new Error(`${what} failed (errno ${errno}${errno === 111 ? ", connection refused" : ""})`);
  (error as { code?: string }).code = errno === 111 ? "ECONNREFUSED" : `ERRNO${errno}`;
  return error;
}
