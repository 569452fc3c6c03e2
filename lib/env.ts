/**
 * Every `MPIRUN_DENO_*` environment variable: its name, and reading it once, validated. Imports nothing: on
 * Deno it reads `Deno.env` (touching `process` there would load Deno's Node compatibility layer, which costs a
 * rank 15 ms at start), elsewhere `process.env`.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
/** Deno's environment on Deno; undefined elsewhere (where `process.env` serves). */
const denoEnv: { get(name: string): string | undefined; set(name: string, value: string): void } | undefined =
  typeof globals.Deno?.version?.deno === "string" ? globals.Deno.env : undefined;

/** Names of the environment variables the launcher sets for ranks and the ranks read. */
export const EnvName = {
  /** This rank's rank in COMM_WORLD. */
  RANK: "MPIRUN_DENO_RANK",
  /** Size of COMM_WORLD. */
  SIZE: "MPIRUN_DENO_SIZE",
  /** This rank's index among the ranks on its host. */
  LOCAL_RANK: "MPIRUN_DENO_LOCAL_RANK",
  /** How many ranks run on this rank's host. */
  LOCAL_SIZE: "MPIRUN_DENO_LOCAL_SIZE",
  /** Set to `1` by `--report`: the rank counts its calls, bytes and time in MPI and sends them at the end. */
  REPORT: "MPIRUN_DENO_REPORT",
  /**
   * Set to `1`: before each collective, every rank checks with the others that they called the same one with
   * the same root and op, and fails naming the ranks that did not (`comm/collective_check.ts`).
   */
  CHECK_COLLECTIVES: "MPIRUN_DENO_CHECK_COLLECTIVES",
  /** `host:port` of the launcher's coordinator. */
  COORDINATOR: "MPIRUN_DENO_COORDINATOR",
  /** The job's secret token (hex); only ever passed through the environment. */
  TOKEN: "MPIRUN_DENO_TOKEN",
  /** Which program of an MPMD job this rank runs (0 for the first, and for every rank of an SPMD job). */
  APPNUM: "MPIRUN_DENO_APPNUM",
  /** An identifier of the job, for messages. */
  JOB_ID: "MPIRUN_DENO_JOB_ID",
  /** The user script a rank runs (absolute path or URL). */
  SCRIPT: "MPIRUN_DENO_SCRIPT",
  /** Set to `rank` when a compiled binary is started as a rank rather than as the launcher. */
  ROLE: "MPIRUN_DENO_ROLE",
  /** The address this rank listens on for its peers (default: chosen by the launcher or the host). */
  BIND_ADDRESS: "MPIRUN_DENO_BIND_ADDRESS",
  /**
   * The host name this rank reports, or a comma-separated list of them (rank r takes item r modulo the
   * count): tests use it to fake several hosts on one machine. See {@linkcode readHostnameOverride}.
   */
  HOSTNAME: "MPIRUN_DENO_HOSTNAME",
  /** The interface whose IPv4 address this rank listens on (`--bind-to-interface`, resolved on its host). */
  BIND_INTERFACE: "MPIRUN_DENO_BIND_INTERFACE",
  /** The launcher's ssh command and its options, such as `ssh -F cluster_config` (default: `ssh`). */
  SSH: "MPIRUN_DENO_SSH",
  /** Seconds ssh gets to connect to a host before the job fails naming it (default 10). */
  SSH_CONNECT_TIMEOUT: "MPIRUN_DENO_SSH_CONNECT_TIMEOUT",
  /** Under direct Slurm launch: the address of rank 0's node, where node names do not resolve. */
  RENDEZVOUS_HOST: "MPIRUN_DENO_RENDEZVOUS_HOST",
  /** Microseconds a waiting rank keeps polling before it sleeps in the event loop. */
  POLL_US: "MPIRUN_DENO_POLL_US",
  /**
   * Which sockets a rank uses for its peers: `auto` (the default: the C library's through FFI, for Unix
   * sockets and IPv4 TCP, where the library can be bound; the runtime's own otherwise) or `native` (the
   * runtime's own: `Deno.connect`, `Bun.connect`, `node:net` under Node).
   */
  SOCKETS: "MPIRUN_DENO_SOCKETS",
  /**
   * The pid of the process that started this rank (the launcher, or its agent on another host): the rank
   * dies with it (see `runtime/parent_death.ts`). Unset where something else starts ranks (`srun`).
   */
  PARENT_PID: "MPIRUN_DENO_PARENT_PID",
  /**
   * Under `srun mpirun-deno script.ts`: a file the rank writes how far it got in joining the step to (see
   * `bootstrap/join_progress.ts`), so that the `mpirun-deno` task that started it can end the step in its
   * place if it dies before joining.
   */
  JOIN_FILE: "MPIRUN_DENO_JOIN_FILE",
  /**
   * How ranks of one host reach each other: `auto` (the default: shared memory where the C library can map
   * it, for collectives and, on rings beside the Unix domain sockets, for messages; the sockets alone
   * otherwise), `shm` (the same, but an error where shared memory is unavailable), `socket` (Unix domain
   * sockets only) or `tcp` (TCP only, as between hosts).
   */
  TRANSPORT: "MPIRUN_DENO_TRANSPORT",
} as const;

/** Reads a variable, or `undefined` when it is unset or empty. */
export function readEnv(name: string): string | undefined {
  const value = denoEnv ? denoEnv.get(name) : globals.process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Sets a variable in this process's environment (seen by everything this process starts later). */
export function writeEnv(name: string, value: string): void {
  if (denoEnv) denoEnv.set(name, value);
  else globals.process.env[name] = value;
}

/**
 * Reads a variable that must hold a whole number in `[min, max]`, or `undefined` when unset. Anything else
 * throws an error naming the variable and its value.
 *
 * @example
 * ```ts
 * import { readIntEnv } from "./env.ts";
 * const rank = readIntEnv("MPIRUN_DENO_RANK", 0, 2 ** 31 - 1) ?? 0;
 * ```
 */
export function readIntEnv(name: string, min: number, max: number): number | undefined {
  const text = readEnv(name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(
      `environment variable ${name}=${JSON.stringify(text)} is not a whole number in ${min}..${max}`,
    );
  }
  return value;
}

/**
 * Reads a variable that must be one of `choices`, or `fallback` when unset. Anything else throws an error
 * naming the variable, its value and the choices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readChoiceEnv } from "./env.ts";
 * assert.equal(readChoiceEnv("MPIRUN_DENO_UNSET_EXAMPLE", ["a", "b"] as const, "a"), "a");
 * ```
 */
export function readChoiceEnv<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const text = readEnv(name);
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    throw new Error(
      `environment variable ${name}=${JSON.stringify(text)} is not one of ${
        choices.map((choice) => JSON.stringify(choice)).join(", ")
      }`,
    );
  }
  return text as T;
}

/** The transports `MPIRUN_DENO_TRANSPORT` may name (see {@linkcode EnvName.TRANSPORT}). */
export type TransportChoice = "auto" | "shm" | "socket" | "tcp";

/** `MPIRUN_DENO_TRANSPORT`, checked: `auto` when unset. */
export function readTransport(): TransportChoice {
  return readChoiceEnv<TransportChoice>(EnvName.TRANSPORT, ["auto", "shm", "socket", "tcp"], "auto");
}

/**
 * The host name `MPIRUN_DENO_HOSTNAME` gives rank `rank`, or `undefined` when it is unset. One name applies
 * to every rank; a comma-separated list gives rank r item r modulo the count, so that one value, which the
 * launcher passes to every rank alike, fakes several hosts on one machine (host names hold no commas).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import { readHostnameOverride } from "./env.ts";
 * process.env.MPIRUN_DENO_HOSTNAME = "a,a,b";
 * assert.deepEqual([0, 1, 2, 3].map(readHostnameOverride), ["a", "a", "b", "a"]);
 * ```
 */
export function readHostnameOverride(rank: number): string | undefined {
  const text = readEnv(EnvName.HOSTNAME);
  if (text === undefined) return undefined;
  const names = text.split(",").map((name) => name.trim());
  if (names.some((name) => name === "")) {
    throw new Error(
      `environment variable ${EnvName.HOSTNAME}=${JSON.stringify(text)} has an empty host name`,
    );
  }
  return names[rank % names.length];
}
