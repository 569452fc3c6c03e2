/**
 * The agent the ssh backend runs on each remote host, one per host and job, over one ssh connection (as
 * MPICH's `hydra_pmi_proxy` or Open MPI's `orted`): it reads the ranks to start from its standard input, so
 * that the job token travels inside the ssh connection and never on a command line; starts each rank in the
 * launcher's working directory with the job's environment; sends their output and ends back as frames
 * (`agent_protocol.ts`); passes on standard input and signals; and kills every rank it started when the
 * launcher goes away (its standard input ends), which a plain `ssh host command` would not do.
 *
 * Imports nothing but Node built-ins and the frame format, so that it starts fast on Deno and Bun alike.
 *
 * ```sh
 * deno run -A --no-config lib/launch/remote_agent.ts     # what `ssh host '...'` runs; frames on stdin
 * ```
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import process from "node:process";
import {
  AGENT_GREETING,
  AgentFrameKind,
  AgentFrameReader,
  type AgentStart,
  ALL_RANKS,
  encodeAgentFrame,
  encodeJsonFrame,
  payloadJson,
  payloadText,
} from "./agent_protocol.ts";

/** Signals the agent passes on to its ranks when it receives them itself. */
const PASSED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** How long output may still come once the launcher has gone and every rank has been killed. */
const GONE_GRACE_MS = 1000;

/** One rank the agent runs. */
interface AgentRank {
  child: ChildProcess | undefined;
  /** Streams still open (stdout, stderr), and whether the process has ended. */
  openStreams: number;
  ended: boolean;
}

/** Sends `signal` to the process group led by `child` (each rank leads its own), or to `child` alone. */
function signalGroup(child: ChildProcess | undefined, signal: string): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal as NodeJS.Signals);
  } catch {
    try {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal as NodeJS.Signals);
    } catch {
      // Already gone.
    }
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The ranks of one job on this host, and the one connection to the launcher they share. */
class Agent {
  readonly #ranks = new Map<number, AgentRank>();
  readonly #host = os.hostname();
  readonly #reader = new AgentFrameReader();
  #expected: number | undefined;
  #finished = false;
  /** Whether the launcher's stream is backed up, and every rank's pipes paused. */
  #blocked = false;
  #gone = false;
  #resolveDone!: (code: number) => void;
  /** Resolves with the agent's exit code. */
  readonly done = new Promise<number>((resolve) => this.#resolveDone = resolve);

  /** Greets the launcher and listens to it and to this process's signals. */
  listen(): void {
    process.stdout.write(AGENT_GREETING);
    process.stdin.on("data", this.#onData);
    process.stdin.on("end", this.#onGone);
    process.stdin.on("close", this.#onGone);
    process.stdin.on("error", this.#onGone);
    process.stdout.on("error", this.#onGone);
    for (const signal of PASSED_SIGNALS) {
      try {
        process.on(signal, this.#onSignal);
      } catch {
        // This platform cannot listen for this signal.
      }
    }
  }

  /** Output to the launcher: one stream, with backpressure pausing every rank's pipes. */
  #send(frame: Uint8Array): void {
    if (this.#finished) return;
    if (!process.stdout.write(frame) && !this.#blocked) {
      this.#blocked = true;
      for (const { child } of this.#ranks.values()) {
        child?.stdout?.pause();
        child?.stderr?.pause();
      }
      process.stdout.once("drain", () => {
        this.#blocked = false;
        for (const { child } of this.#ranks.values()) {
          child?.stdout?.resume();
          child?.stderr?.resume();
        }
      });
    }
  }

  #finish(code: number): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const signal of PASSED_SIGNALS) process.off(signal, this.#onSignal);
    process.stdin.off("data", this.#onData);
    process.stdin.pause();
    // Exit once what was written has left; an unwritable stdout (ssh gone) must not keep the agent alive.
    const timer = setTimeout(() => this.#resolveDone(code), 2000);
    process.stdout.write(new Uint8Array(0), () => {
      clearTimeout(timer);
      this.#resolveDone(code);
    });
  }

  #checkAllEnded(): void {
    if (this.#expected === undefined || this.#ranks.size < this.#expected) return;
    for (const rank of this.#ranks.values()) if (!rank.ended || rank.openStreams > 0) return;
    this.#finish(0);
  }

  #killAll(signal: string): void {
    for (const { child } of this.#ranks.values()) signalGroup(child, signal);
  }

  /** Starts rank `index` as `order` says, or tells the launcher why it cannot. */
  #start(index: number, order: AgentStart): void {
    this.#expected = order.total;
    const entry: AgentRank = { child: undefined, openStreams: 0, ended: false };
    this.#ranks.set(index, entry);
    const fail = (why: string) => {
      entry.ended = true;
      this.#send(encodeAgentFrame(AgentFrameKind.ERROR, index, why));
      this.#checkAllEnded();
    };
    if (!isDirectory(order.cwd)) {
      fail(
        `the working directory ${order.cwd} does not exist on ${this.#host} ` +
          "(mpirun-deno expects the same paths on every host; see --wdir)",
      );
      return;
    }
    const missing = missingFile(order);
    if (missing !== undefined) {
      fail(
        `the ${missing.what} ${missing.path} does not exist on ${this.#host} ` +
          "(mpirun-deno expects the same paths on every host)",
      );
      return;
    }
    let child: ChildProcess;
    try {
      child = spawnRank(order);
    } catch (error) {
      fail(`cannot run ${order.command} on ${this.#host}: ${(error as Error).message}`);
      return;
    }
    if (child.pid === undefined) {
      child.on("error", (error) => fail(`cannot run ${order.command} on ${this.#host}: ${error.message}`));
      return;
    }
    entry.child = child;
    entry.openStreams = 2;
    this.#send(encodeJsonFrame(AgentFrameKind.STARTED, index, { pid: child.pid }));
    child.stdin?.on("error", () => {});
    this.#forwardOutput(index, entry, child);
    child.on("error", () => {});
    child.on("exit", (code, signal) => {
      entry.ended = true;
      this.#send(encodeJsonFrame(AgentFrameKind.EXIT, index, { code, signal }));
      this.#checkAllEnded();
    });
  }

  /** Sends a started rank's stdout and stderr to the launcher as frames, and counts their ends. */
  #forwardOutput(index: number, entry: AgentRank, child: ChildProcess): void {
    for (
      const [stream, kind] of [["stdout", AgentFrameKind.STDOUT], ["stderr", AgentFrameKind.STDERR]] as const
    ) {
      const readable = child[stream]!;
      let open = true;
      const end = () => {
        if (!open) return;
        open = false;
        entry.openStreams--;
        this.#checkAllEnded();
      };
      readable.on("data", (chunk: Uint8Array) => this.#send(encodeAgentFrame(kind, index, chunk)));
      readable.on("end", end);
      readable.on("close", end);
      readable.on("error", end);
      if (this.#blocked) readable.pause();
    }
  }

  /** Acts on one frame from the launcher. */
  #handle(kind: number, index: number, payload: () => unknown): void {
    switch (kind) {
      case AgentFrameKind.START:
        this.#start(index, payload() as AgentStart);
        break;
      case AgentFrameKind.STDIN:
        this.#ranks.get(index)?.child?.stdin?.write(payload() as Uint8Array);
        break;
      case AgentFrameKind.STDIN_END:
        this.#ranks.get(index)?.child?.stdin?.end();
        break;
      case AgentFrameKind.SIGNAL: {
        const signal = payload() as string;
        if (index === ALL_RANKS) this.#killAll(signal);
        else signalGroup(this.#ranks.get(index)?.child, signal);
        break;
      }
    }
  }

  #onData = (chunk: Uint8Array): void => {
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      process.stderr.write(`mpirun-deno agent on ${this.#host}: ${(error as Error).message}\n`);
      this.#killAll("SIGKILL");
      this.#finish(1);
      return;
    }
    for (const frame of frames) {
      this.#handle(frame.kind, frame.index, () => {
        if (frame.kind === AgentFrameKind.START) return payloadJson<AgentStart>(frame);
        if (frame.kind === AgentFrameKind.SIGNAL) return payloadText(frame);
        return frame.payload;
      });
    }
  };

  /**
   * The launcher closes our standard input only at the end of the job, or by going away: kill what is left,
   * pass on the output it still writes while its pipes close, and go.
   */
  #onGone = (): void => {
    if (this.#gone) return;
    this.#gone = true;
    this.#killAll("SIGKILL");
    this.#expected ??= 0;
    this.#checkAllEnded();
    setTimeout(() => this.#finish(0), GONE_GRACE_MS);
  };

  #onSignal = (signal: NodeJS.Signals): void => this.#killAll(signal);
}

/**
 * The runtime (an absolute path) or the script (a path, not a URL) of a rank that is not on this host, so
 * that the launcher can say so instead of the rank's resolver error.
 */
function missingFile(order: AgentStart): { what: string; path: string } | undefined {
  if (order.command.startsWith("/") && !fs.existsSync(order.command)) {
    return { what: "runtime", path: order.command };
  }
  // MPIRUN_DENO_SCRIPT, spelt out (this module imports nothing of lib/): absolute, or a URL.
  const script = order.env.MPIRUN_DENO_SCRIPT;
  if (script !== undefined && script.startsWith("/") && !fs.existsSync(script)) {
    return { what: "script", path: script };
  }
  return undefined;
}

/** Starts a rank in its own process group, dying with this agent; throws when it cannot be spawned. */
function spawnRank(order: AgentStart): ChildProcess {
  return spawn(order.command, order.args, {
    cwd: order.cwd,
    // The rank dies with this agent (see runtime/parent_death.ts), as it would with a local launcher:
    // EnvName.PARENT_PID, spelt out (this module imports nothing of lib/).
    env: { ...process.env, ...order.env, MPIRUN_DENO_PARENT_PID: String(process.pid) },
    detached: true,
    stdio: [order.stdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
}

/**
 * Runs the agent on this process's standard input and output until every rank it was asked to start has
 * ended, or the launcher has gone. Resolves with the agent's exit code.
 *
 * @example
 * ```ts ignore
 * import { runAgent } from "./remote_agent.ts";
 * process.exit(await runAgent());
 * ```
 */
export function runAgent(): Promise<number> {
  const agent = new Agent();
  agent.listen();
  return agent.done;
}

if (import.meta.main) process.exit(await runAgent());
