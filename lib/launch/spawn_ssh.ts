/**
 * The ssh backend: ranks on `localhost` or on this machine's own name start as local children (as in
 * `spawn_local.ts`); the ranks of each other host start through one `ssh` connection per host, which runs
 * the remote agent (`remote_agent.ts`) on the launcher's own runtime, by the same absolute path (clusters
 * share the file system). The agent reads the ranks to start, with their environment and the job token, from
 * the connection's standard input, so that no secret is on a command line; it sends their output and ends
 * back as frames, passes on signals, and kills them when the connection ends.
 *
 * The ssh command is `ssh` (the user's `~/.ssh/config` applies), or `MPIRUN_DENO_SSH` (e.g.
 * `ssh -F ./cluster_ssh_config -i key`); `-T -o BatchMode=yes` is always added (a password prompt would hang
 * the job), with a connect timeout (`MPIRUN_DENO_SSH_CONNECT_TIMEOUT`, default 10 s) and keep-alives.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { EnvName } from "../env.ts";
import { hostname } from "../runtime/host.ts";
import { concatBytes } from "../wire/buffers.ts";
import {
  type AgentFrame,
  AgentFrameKind,
  AgentFrameReader,
  type AgentStart,
  ALL_RANKS,
  encodeAgentFrame,
  encodeJsonFrame,
  payloadJson,
  payloadText,
  splitGreeting,
} from "./agent_protocol.ts";
import { localAddressToward, sshDestination } from "./network.ts";
import { UsageError } from "./options.ts";
import { isLocalHost, type RankPlacement } from "./plan.ts";
import { currentLauncherHost, type LauncherHost } from "./rank_command.ts";
import { LocalSpawner } from "./spawn_local.ts";
import type { ExitStatus, RankLaunch, RankSignal, RunningJob, Spawner, SpawnEvents } from "./spawner.ts";

/** Seconds ssh gets to connect to a host unless `MPIRUN_DENO_SSH_CONNECT_TIMEOUT` says otherwise. */
export const DEFAULT_SSH_CONNECT_TIMEOUT_S = 10;
/**
 * ssh keep-alives: a host that stops answering (dead, or cut off) ends its connection after about
 * interval x count seconds, and with it the job, naming the host.
 */
const SSH_ALIVE_INTERVAL_S = 2;
const SSH_ALIVE_COUNT = 3;

/**
 * Options ssh always gets, after those of `MPIRUN_DENO_SSH` (ssh keeps the first value it reads of an option,
 * so `-o ConnectTimeout=30` there wins; `~/.ssh/config` is read after the command line and does not): no
 * terminal, never a prompt, a bound on the time to connect, and keep-alives. Throws for a connect timeout
 * that is not a positive whole number of seconds ({@linkcode UsageError}).
 *
 * @example
 * ```ts
 * import { sshOptions } from "./spawn_ssh.ts";
 * console.log(sshOptions({ MPIRUN_DENO_SSH_CONNECT_TIMEOUT: "3" }).includes("ConnectTimeout=3")); // true
 * ```
 */
export function sshOptions(env: Record<string, string | undefined>): string[] {
  const text = env[EnvName.SSH_CONNECT_TIMEOUT]?.trim();
  let seconds = DEFAULT_SSH_CONNECT_TIMEOUT_S;
  if (text) {
    seconds = Number(text);
    if (!/^\d+$/.test(text) || seconds < 1) {
      throw new UsageError(
        `${EnvName.SSH_CONNECT_TIMEOUT}=${JSON.stringify(text)} is not a positive whole number of seconds`,
      );
    }
  }
  return [
    "-T",
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${seconds}`,
    "-o",
    `ServerAliveInterval=${SSH_ALIVE_INTERVAL_S}`,
    "-o",
    `ServerAliveCountMax=${SSH_ALIVE_COUNT}`,
  ];
}

/** How long an ssh connection gets to deliver the last output once its ranks were killed. */
const SSH_CLOSE_GRACE_MS = 3000;

/**
 * Variables that describe the launcher's own host or login session: a remote rank keeps the values its own
 * host gives it.
 */
export const HOST_SPECIFIC_ENV: ReadonlySet<string> = new Set([
  "HOSTNAME",
  "HOST",
  "PWD",
  "OLDPWD",
  "SHLVL",
  "_",
  "SSH_CLIENT",
  "SSH_CONNECTION",
  "SSH_TTY",
  "SSH_AUTH_SOCK",
  "DISPLAY",
  "XAUTHORITY",
  "XDG_RUNTIME_DIR",
  "XDG_SESSION_ID",
  "XDG_SESSION_TYPE",
  "XDG_SESSION_CLASS",
  "DBUS_SESSION_BUS_ADDRESS",
  "TMUX",
  "TMUX_PANE",
  "STY",
  "WINDOWID",
  "TERM_SESSION_ID",
  "MAIL",
]);

/**
 * Splits a command written as in a shell (words, single and double quotes, backslash escapes) into its
 * words: how `MPIRUN_DENO_SSH` is read.
 *
 * @example
 * ```ts
 * import { splitCommand } from "./spawn_ssh.ts";
 * console.log(splitCommand(`ssh -F "/my dir/cfg" -o 'ProxyJump=gw'`)); // ["ssh", "-F", "/my dir/cfg", "-o", "ProxyJump=gw"]
 * ```
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word ??= "";
      if (c === "'" || c === '"') quote = c;
      else if (c === "\\" && i + 1 < text.length) word += text[++i];
      else word += c;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** Quotes `word` for a POSIX shell (the remote login shell parses the command ssh sends). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The ssh command: `MPIRUN_DENO_SSH` split into words, or plain `ssh`. */
export function sshCommand(env: Record<string, string | undefined>): string[] {
  const text = env[EnvName.SSH]?.trim();
  if (!text) return ["ssh"];
  const words = splitCommand(text);
  if (words.length === 0) return ["ssh"];
  return words;
}

/**
 * The command line the remote login shell runs: the agent on the launcher's runtime, by absolute path.
 *
 * @example
 * ```ts
 * import { agentShellCommand } from "./spawn_ssh.ts";
 * const line = agentShellCommand({ runtime: "bun", execPath: "/opt/bun", compiled: false, libDir: "/app/lib", searchPath: "" });
 * console.log(line.endsWith("exec /opt/bun /app/lib/launch/remote_agent.ts")); // true
 * ```
 */
export function agentShellCommand(host: LauncherHost): string {
  if (host.compiled) {
    return `${requireFile(host.execPath, "mpirun-deno")}exec env ${EnvName.ROLE}=agent ${
      shellQuote(host.execPath)
    }`;
  }
  const agent = path.join(host.libDir, "launch", "remote_agent.ts");
  const argv = host.runtime === "deno"
    ? [host.execPath, "run", "-A", "--no-config", agent]
    : [host.execPath, agent];
  return `${requireFile(host.execPath, "runtime")}${requireFile(agent, "mpirun-deno checkout")}exec ${
    argv.map(shellQuote).join(" ")
  }`;
}

/**
 * A shell test that ends the remote login with code 127 and a message naming the host and `file` when that
 * file is not there: clearer than the shell's or `env`'s own.
 */
function requireFile(file: string, what: string): string {
  const message = shellQuote(`mpirun-deno: the ${what} ${file} does not exist on `);
  return `[ -e ${shellQuote(file)} ] || { echo ${message}"$(hostname)" >&2; exit 127; }; `;
}

/** The environment a remote rank is sent: the rank's, less what belongs to the launcher's own host. */
export function remoteEnvironment(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!HOST_SPECIFIC_ENV.has(name)) out[name] = value;
  }
  return out;
}

/** Options of {@linkcode SshSpawner}. */
export interface SshSpawnerOptions {
  /** The ssh command and its options (default: from `MPIRUN_DENO_SSH` of `env`, else `ssh`). */
  ssh?: string[];
  /** The launcher's environment (default: this process's). */
  env?: Record<string, string | undefined>;
  /** This machine's name (default: its host name): ranks placed on it start locally. */
  ownHostname?: string;
  /** How the launcher runs (default: this process), which decides how the agent is started. */
  launcher?: LauncherHost;
}

/** One ssh connection and the ranks it runs. */
class HostSession {
  readonly host: string;
  readonly ranks: number[];
  readonly pids = new Map<number, number>();
  readonly child: ChildProcess;
  #events: SpawnEvents;
  /** Ranks whose fate is known (exit, or could not start). */
  #settled = new Set<number>();
  #streamsEnded = new Set<number>();
  #lastError = "";
  #closing = false;
  /** Stops passing standard input on, by index of the rank on this host. */
  #stopStdin = new Map<number, () => void>();
  #sshName: string;

  constructor(
    host: string,
    launches: readonly RankLaunch[],
    ssh: readonly string[],
    options: readonly string[],
    agent: string,
    events: SpawnEvents,
  ) {
    this.host = host;
    this.#sshName = ssh[0];
    this.ranks = launches.map((launch) => launch.placement.rank);
    this.#events = events;
    this.child = spawn(ssh[0], [...ssh.slice(1), ...options, host, agent], {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const child = this.child;
    child.on("error", (error) => {
      // Without a pid ssh never started; the ranks of this host fail when the (empty) streams close.
      if (child.pid === undefined) this.#lastError = error.message;
    });
    child.stdin!.on("error", () => {});
    launches.forEach((launch, index) => {
      const order: AgentStart = {
        rank: launch.placement.rank,
        command: launch.command,
        args: [...launch.args],
        env: remoteEnvironment(launch.env),
        cwd: launch.cwd,
        stdin: launch.stdin === "launcher",
        total: launches.length,
      };
      this.#write(encodeJsonFrame(AgentFrameKind.START, index, order));
      if (launch.stdin === "launcher") this.#forwardStdin(index);
    });

    const reader = new AgentFrameReader();
    // Until the agent's greeting, the bytes are the login shell's (a `.bashrc` that prints): pass them on.
    let head: Uint8Array | undefined = new Uint8Array(0);
    const flushHead = () => {
      if (head !== undefined && head.length > 0) events.onOutput(this.ranks[0], "stdout", head);
      head = undefined;
    };
    child.stdout!.on("end", flushHead);
    child.stdout!.on("data", (data: Uint8Array) => {
      let chunk = data;
      if (head !== undefined) {
        const joined = concatBytes([head, data]);
        const split = splitGreeting(joined);
        if (split === undefined) {
          head = joined;
          return;
        }
        head = split.before;
        flushHead();
        chunk = split.after;
      }
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (error) {
        this.#lastError = `garbled reply from the agent on ${host}: ${(error as Error).message}`;
        child.stdout!.destroy();
        return;
      }
      for (const frame of frames) this.#onFrame(frame);
    });
    child.stderr!.on("data", (chunk: Uint8Array) => {
      // ssh's own messages (and an agent that could not start) belong to the first rank of the host.
      const text = new TextDecoder().decode(chunk).trim();
      if (text !== "") this.#lastError = text.split("\n").at(-1)!.slice(0, 300);
      events.onOutput(this.ranks[0], "stderr", chunk);
    });
    child.on("close", (code, signal) => this.#onClose(code, signal));
  }

  /** Can frames still be sent to the agent? */
  #writable(): boolean {
    const stdin = this.child.stdin;
    return stdin !== null && !stdin.destroyed && !stdin.writableEnded;
  }

  /** Sends a frame if the agent's input is still open; false when it is not, or when it is full for now. */
  #write(frame: Uint8Array): boolean {
    return this.#writable() && this.child.stdin!.write(frame);
  }

  /** Passes the launcher's standard input to rank `index` of this host. */
  #forwardStdin(index: number): void {
    const input = process.stdin;
    const onData = (chunk: Uint8Array) => {
      if (!this.#write(encodeAgentFrame(AgentFrameKind.STDIN, index, chunk)) && this.#writable()) {
        input.pause();
        this.child.stdin!.once("drain", () => input.resume());
      }
    };
    const onEnd = () => {
      this.#write(encodeAgentFrame(AgentFrameKind.STDIN_END, index));
      stop();
    };
    const stop = () => {
      input.off("data", onData);
      input.off("end", onEnd);
      // Under --stdin all other ranks may still read it.
      if (input.listenerCount("data") === 0) input.pause();
      this.#stopStdin.delete(index);
    };
    this.#stopStdin.set(index, stop);
    input.on("data", onData);
    input.on("end", onEnd);
  }

  #onFrame(frame: AgentFrame): void {
    const { kind, index, payload } = frame;
    const rank = this.ranks[index];
    if (rank === undefined) return;
    switch (kind) {
      case AgentFrameKind.STARTED:
        this.pids.set(rank, payloadJson<{ pid: number }>(frame).pid);
        break;
      case AgentFrameKind.STDOUT:
        this.#events.onOutput(rank, "stdout", payload);
        break;
      case AgentFrameKind.STDERR:
        this.#events.onOutput(rank, "stderr", payload);
        break;
      case AgentFrameKind.EXIT:
        if (this.#settled.has(rank)) break;
        this.#settled.add(rank);
        this.#stopStdin.get(index)?.();
        this.#events.onExit(rank, payloadJson<ExitStatus>(frame));
        break;
      case AgentFrameKind.ERROR:
        if (this.#settled.has(rank)) break;
        this.#settled.add(rank);
        this.#events.onSpawnError(rank, new Error(payloadText(frame)));
        this.#endStreams(rank);
        break;
    }
  }

  #endStreams(rank: number): void {
    if (this.#streamsEnded.has(rank)) return;
    this.#streamsEnded.add(rank);
    this.#events.onOutputEnd(rank, "stdout");
    this.#events.onOutputEnd(rank, "stderr");
  }

  /** ssh ended: whatever was not heard of its ranks is decided now. */
  #onClose(code: number | null, signal: NodeJS.Signals | null): void {
    for (const stop of [...this.#stopStdin.values()]) stop();
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const lost = this.ranks.filter((rank) => !this.#settled.has(rank) && this.pids.has(rank));
    if (lost.length > 0 && !this.#closing) {
      // Once for the host, naming it and its ranks (and ssh's reason, such as a keep-alive timeout).
      const why = this.#lastError === "" ? "" : `: ${this.#lastError}`;
      this.#events.onOutput(
        lost[0],
        "stderr",
        new TextEncoder().encode(
          `mpirun-deno: lost the ssh connection to ${this.host} (ssh ${how}${why}); ` +
            `rank${lost.length > 1 ? "s" : ""} ${lost.join(", ")} on it ${
              lost.length > 1 ? "are" : "is"
            } lost\n`,
        ),
      );
    }
    for (const rank of this.ranks) {
      if (!this.#settled.has(rank)) {
        this.#settled.add(rank);
        if (!this.pids.has(rank)) {
          const why = this.#lastError === "" ? "" : `: ${this.#lastError}`;
          const what = this.child.pid === undefined
            ? `cannot run ${this.#sshName} to reach ${this.host}`
            : `ssh to ${this.host} ${how}`;
          this.#events.onSpawnError(rank, new Error(`${what}${why}`));
        } else {
          this.#events.onExit(
            rank,
            code === null && signal === null ? { code: 255, signal: null } : { code, signal },
          );
        }
      }
      this.#endStreams(rank);
    }
  }

  /** Sends `signal` to every rank of this host. */
  signal(signal: RankSignal): void {
    if (this.#writable()) this.#write(encodeAgentFrame(AgentFrameKind.SIGNAL, ALL_RANKS, signal));
    else this.#killSsh(signal);
  }

  /**
   * First call: the agent kills every rank and the connection closes once their last output is through (or
   * after a grace). Later calls: ssh is killed at once.
   */
  killAll(): void {
    if (this.#closing) {
      this.#killSsh("SIGKILL");
      return;
    }
    this.#closing = true;
    for (const stop of [...this.#stopStdin.values()]) stop();
    this.#write(encodeAgentFrame(AgentFrameKind.SIGNAL, ALL_RANKS, "SIGKILL"));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.#killSsh("SIGKILL"), SSH_CLOSE_GRACE_MS);
    timer.unref?.();
    this.child.once("close", () => clearTimeout(timer));
  }

  #killSsh(signal: RankSignal): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * Starts ranks over ssh: one connection per remote host, local children for this machine.
 *
 * @example
 * ```ts ignore
 * import { SshSpawner } from "./spawn_ssh.ts";
 * const job = new SshSpawner({ ssh: ["ssh", "-F", "cluster_config"] }).start(ranks, events);
 * ```
 */
export class SshSpawner implements Spawner {
  readonly name = "ssh";
  #ssh: string[];
  #options: string[];
  #own: string;
  #launcher: LauncherHost | undefined;

  constructor(options: SshSpawnerOptions = {}) {
    this.#ssh = options.ssh ?? sshCommand(options.env ?? process.env);
    this.#options = sshOptions(options.env ?? process.env);
    this.#own = options.ownHostname ?? hostname();
    this.#launcher = options.launcher;
  }

  /** This machine's address on the route to the first remote host that has one (as ssh resolves names). */
  async localAddress(placements: readonly RankPlacement[]): Promise<string | undefined> {
    const hosts = new Set(placements.map((placement) => placement.host));
    for (const host of hosts) {
      if (isLocalHost(host, this.#own)) continue;
      const destination = sshDestination(this.#ssh, host);
      const address = await localAddressToward(destination.hostname, destination.port);
      if (address !== undefined) return address;
    }
    return undefined;
  }

  start(ranks: readonly RankLaunch[], events: SpawnEvents): RunningJob {
    const local: RankLaunch[] = [];
    const remote = new Map<string, RankLaunch[]>();
    for (const launch of ranks) {
      const host = launch.placement.host;
      if (isLocalHost(host, this.#own)) local.push(launch);
      else remote.set(host, [...(remote.get(host) ?? []), launch]);
    }
    const localJob = local.length > 0 ? new LocalSpawner().start(local, events) : undefined;
    const agent = remote.size > 0 ? agentShellCommand(this.#launcher ?? currentLauncherHost()) : "";
    const sessions = [...remote].map(([host, launches]) =>
      new HostSession(host, launches, this.#ssh, this.#options, agent, events)
    );
    const sessionOf = new Map<number, HostSession>();
    for (const session of sessions) for (const rank of session.ranks) sessionOf.set(rank, session);
    return {
      pid: (rank) => {
        const session = sessionOf.get(rank);
        return session ? session.pids.get(rank) : localJob?.pid(rank);
      },
      signal: (signal) => {
        localJob?.signal(signal);
        for (const session of sessions) session.signal(signal);
      },
      killAll: () => {
        localJob?.killAll();
        for (const session of sessions) session.killAll();
      },
      // The agents' streams carry their ranks' output (and their exits, which then wait with it).
      pauseOutput: () => {
        localJob?.pauseOutput?.();
        for (const session of sessions) session.child.stdout?.pause();
      },
      resumeOutput: () => {
        localJob?.resumeOutput?.();
        for (const session of sessions) session.child.stdout?.resume();
      },
    };
  }
}
