/**
 * The launcher's command line: the option table (which also writes `--help`), the scan that stops at the
 * script, and the validation that turns strings into typed {@linkcode LaunchOptions}. Every error is a
 * {@linkcode UsageError} whose message names the flag and the value.
 *
 * @module
 */

import * as fs from "node:fs";
import { isIP } from "node:net";
import * as path from "node:path";
import process from "node:process";
import { VERSION } from "../constants.ts";
import { EnvName } from "../env.ts";
import { runtimeName, runtimeVersion } from "../runtime/detect.ts";
import { HostListError, parseHostfile, parseHostList } from "./hostfile.ts";
import type { HostSlots } from "./hostfile.ts";
import { type InspectRequest, parseInspect } from "./inspect.ts";

/** A mistake on the command line: nothing was started, the launcher exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** How ranks are started. */
export type LauncherKind = "local" | "ssh" | "slurm";
/** The runtime a rank runs on. */
export type RankRuntime = "deno" | "bun";
/** How ranks are placed on hosts: fill each host's slots in turn, or round-robin over the hosts. */
export type MapBy = "slot" | "node";

/** The command line as scanned: strings, not yet validated. */
export interface RawOptions {
  np?: string;
  host: string[];
  hostfile?: string;
  launcher?: string;
  mapBy?: string;
  oversubscribe: boolean;
  runtime?: string;
  bindAddress?: string;
  bindInterface?: string;
  tagOutput: boolean;
  timestampOutput: boolean;
  outputFilename?: string;
  env: string[];
  wdir?: string;
  timeout?: string;
  // Seeing inside a job (observe.ts).
  events?: string;
  report?: string;
  check: boolean;
  inspect?: string;
  inspectWait: boolean;
  help: boolean;
  version: boolean;
  /** The first argument that is not an option, if any. */
  script?: string;
  /** Everything after the script, untouched. */
  scriptArgs: string[];
  /** The spelling the user gave each option (`-np` or `-n`), for messages. */
  spelled: Partial<Record<OptionKey, string>>;
}

/** Keys of {@linkcode RawOptions} that options set. */
export type OptionKey = Exclude<keyof RawOptions, "script" | "scriptArgs" | "spelled">;

/** One launcher option: its spellings, its value (none for a switch) and its line in `--help`. */
export interface OptionSpec {
  key: OptionKey;
  names: readonly string[];
  /** What the value looks like in `--help`; absent for switches. */
  value?: string;
  /** The value may be left out (`--report`), and is then `""`; given, it is written `--report=FILE`. */
  optional?: boolean;
  help: string;
}

/**
 * Every option the launcher accepts. `--help` is written from this table, so an option cannot exist without
 * its documentation.
 */
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: "np",
    names: ["-n", "-np", "--np"],
    value: "N",
    help: "Number of ranks (default: the slots of the hosts, else this machine's CPUs)",
  },
  {
    key: "host",
    names: ["-H", "--host"],
    value: "HOST[:SLOTS],...",
    help: "Hosts to run on, with their slots (default 1 each); repeatable",
  },
  {
    key: "hostfile",
    names: ["--hostfile"],
    value: "FILE",
    help: "File of hosts, one per line: 'host slots=N' (Open MPI) or 'host:N' (MPICH)",
  },
  {
    key: "launcher",
    names: ["--launcher"],
    value: "local|ssh|slurm",
    help: "How ranks start (default: slurm in an allocation, ssh for remote hosts, else local)",
  },
  {
    key: "mapBy",
    names: ["--map-by"],
    value: "slot|node",
    help: "Fill each host's slots in turn (default), or deal ranks round-robin over hosts",
  },
  {
    key: "oversubscribe",
    names: ["--oversubscribe"],
    help: "Allow more ranks than the hosts have slots (this machine: one slot per CPU)",
  },
  {
    key: "runtime",
    names: ["--runtime"],
    value: "deno|bun",
    help: "Runtime the ranks run on (default: the launcher's own)",
  },
  {
    key: "bindAddress",
    names: ["--bind-address"],
    value: "ADDR",
    help: "IP address the launcher and local ranks listen on (default: 127.0.0.1; across hosts, the route's)",
  },
  {
    key: "bindInterface",
    names: ["--bind-to-interface"],
    value: "IFACE",
    help: "Network interface whose IPv4 address they listen on (remote ranks: on their own host)",
  },
  {
    key: "tagOutput",
    names: ["--tag-output"],
    help: "Prefix every output line with its rank: '[2] line'",
  },
  {
    key: "timestampOutput",
    names: ["--timestamp-output"],
    help: "Prefix every output line with the time it arrived (ISO 8601)",
  },
  {
    key: "outputFilename",
    names: ["--output-filename"],
    value: "DIR[:nocopy]",
    help: "Also write output to DIR/rank.N/stdout and stderr (:nocopy: only there)",
  },
  {
    key: "env",
    names: ["-x"],
    value: "VAR[=VALUE]",
    help: "Export VAR to the ranks, with VALUE or the launcher's own value; repeatable",
  },
  {
    key: "wdir",
    names: ["--wdir"],
    value: "DIR",
    help: "Working directory of the ranks (default: the launcher's)",
  },
  {
    key: "timeout",
    names: ["--timeout"],
    value: "SECONDS",
    help: "End the job after SECONDS, report what each rank waits for, exit 124",
  },
  // Seeing inside a job.
  {
    key: "events",
    names: ["--events"],
    value: "FILE",
    help: "Write the job's events as JSON lines to FILE (may be /dev/stderr, /dev/fd/3)",
  },
  {
    key: "report",
    names: ["--report"],
    value: "[=FILE]",
    optional: true,
    help: "At the end, print time in MPI, calls, bytes and the communication matrix (FILE.json/.html too)",
  },
  {
    key: "check",
    names: ["--check"],
    help: "Type-check the script with Deno before starting any rank",
  },
  {
    key: "inspect",
    names: ["--inspect"],
    value: "RANK[:PORT]",
    help: "Run RANK under the runtime's inspector on 127.0.0.1:PORT (default 9229); prints where to attach",
  },
  {
    key: "inspectWait",
    names: ["--inspect-wait"],
    help: "With --inspect: that rank waits for a debugger before running (the others wait for it)",
  },
  { key: "version", names: ["-V", "--version"], help: "Print the version and the runtime, then exit" },
  { key: "help", names: ["-h", "--help"], help: "Print this help, then exit" },
];

const SPEC_BY_NAME = new Map(OPTION_SPECS.flatMap((spec) => spec.names.map((name) => [name, spec] as const)));

/** The one-line reminder printed under every usage error. */
export const USAGE_HINT =
  "Usage: mpirun-deno [options] script.ts [args...]  (mpirun-deno --help lists the options)";

function emptyRaw(): RawOptions {
  return {
    host: [],
    env: [],
    oversubscribe: false,
    check: false,
    inspectWait: false,
    tagOutput: false,
    timestampOutput: false,
    help: false,
    version: false,
    scriptArgs: [],
    spelled: {},
  };
}

/** Finds the option `arg` names, with a value written into the same argument (`--np=4`, `-n4`). */
function lookup(arg: string): { spec: OptionSpec; name: string; inline?: string } | undefined {
  const exact = SPEC_BY_NAME.get(arg);
  if (exact) return { spec: exact, name: arg };
  if (arg.startsWith("--")) {
    const equals = arg.indexOf("=");
    if (equals < 0) return undefined;
    const name = arg.slice(0, equals);
    const spec = SPEC_BY_NAME.get(name);
    return spec && { spec, name, inline: arg.slice(equals + 1) };
  }
  const name = arg.slice(0, 2);
  const spec = SPEC_BY_NAME.get(name);
  return spec?.value !== undefined ? { spec, name, inline: arg.slice(2) } : undefined;
}

/**
 * Scans the command line as `mpirun` does: options first; the first argument that is not an option is the
 * script, and everything after it belongs to the script untouched. `--` ends the options explicitly.
 *
 * @example
 * ```ts
 * import { scanCommandLine } from "./options.ts";
 * const raw = scanCommandLine(["-np", "4", "--tag-output", "app.ts", "-n", "9"]);
 * console.log(raw.np, raw.script, raw.scriptArgs); // "4" "app.ts" ["-n", "9"]
 * ```
 */
export function scanCommandLine(argv: readonly string[]): RawOptions {
  const raw = emptyRaw();
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === "--") {
      if (index + 1 < argv.length) {
        raw.script = argv[index + 1];
        raw.scriptArgs = argv.slice(index + 2);
      }
      return raw;
    }
    if (!arg.startsWith("-") || arg === "-") {
      raw.script = arg;
      raw.scriptArgs = argv.slice(index + 1);
      return raw;
    }
    const found = lookup(arg);
    if (!found) throw new UsageError(`Unknown option ${JSON.stringify(arg)}`);
    const { spec, name } = found;
    raw.spelled[spec.key] = name;
    if (spec.value === undefined) {
      if (found.inline !== undefined) {
        throw new UsageError(`Option ${name} takes no value, got ${JSON.stringify(arg)}`);
      }
      (raw[spec.key] as boolean) = true;
      continue;
    }
    const value = found.inline ?? (spec.optional ? "" : argv[++index]);
    if (value === undefined) throw new UsageError(`Option ${name} needs a value (${spec.value})`);
    const slot = raw[spec.key];
    if (Array.isArray(slot)) slot.push(value);
    else (raw[spec.key] as string) = value;
  }
  return raw;
}

/** The validated launch request. */
export interface LaunchOptions {
  /** Number of ranks; `undefined` means one per slot. */
  np: number | undefined;
  /** Absolute path of the user script, or its URL. */
  script: string;
  scriptArgs: string[];
  /** The ranks' runtime; `undefined` means the launcher's own. */
  runtime: RankRuntime | undefined;
  /** Hosts from `--host` or `--hostfile`; `undefined` when neither was given. */
  hosts: HostSlots[] | undefined;
  /** The backend; `undefined` means chosen from the environment and the hosts. */
  launcher: LauncherKind | undefined;
  mapBy: MapBy;
  oversubscribe: boolean;
  bindAddress: string | undefined;
  bindInterface: string | undefined;
  tagOutput: boolean;
  timestampOutput: boolean;
  /** Directory of per-rank output files, absolute. */
  outputDir: string | undefined;
  /** Whether output also goes to the launcher's stdout/stderr (false with `:nocopy`). */
  outputCopy: boolean;
  /** Variables exported with `-x`, in order. */
  env: [name: string, value: string][];
  /** Absolute working directory of the ranks. */
  wdir: string;
  /** `--timeout` in seconds. */
  timeoutSeconds: number | undefined;
  /** `--events`: where the job's events go, absolute (or a `/dev/...` path). */
  eventsFile: string | undefined;
  /** `--report`: whether to report, and the file to write it to as well (`.json` or `.html`). */
  report: { file: string | undefined; format: "json" | "html" | undefined } | undefined;
  /** `--check`: type-check the script before launching. */
  check: boolean;
  /** `--inspect RANK[:PORT]` and `--inspect-wait`. */
  inspect: InspectRequest | undefined;
}

/** What validation needs from the outside world; tests pass their own. */
export interface ValidationContext {
  cwd: string;
  env: Record<string, string | undefined>;
  /** What is at `path`, following links; `undefined` when nothing is. */
  kindOf(path: string): "file" | "directory" | "other" | undefined;
  readText(path: string): string;
}

/** The real file system, environment and working directory. */
export function processContext(): ValidationContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    kindOf(target) {
      try {
        const stat = fs.statSync(target);
        return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : "other";
      } catch {
        return undefined;
      }
    },
    readText: (target) => fs.readFileSync(target, "utf8"),
  };
}

/** Variables the launcher sets for every rank: `-x` may not replace them. */
export const RESERVED_ENV: readonly string[] = [
  EnvName.RANK,
  EnvName.SIZE,
  EnvName.LOCAL_RANK,
  EnvName.LOCAL_SIZE,
  EnvName.COORDINATOR,
  EnvName.TOKEN,
  EnvName.JOB_ID,
  EnvName.SCRIPT,
  EnvName.ROLE,
  EnvName.PARENT_PID,
];

function oneOf<T extends string>(raw: RawOptions, key: OptionKey, allowed: readonly T[]): T | undefined {
  const value = raw[key] as string | undefined;
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${raw.spelled[key]}: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/**
 * The most ranks one job may have, even with `--oversubscribe`: far past what a full mesh of runtime processes
 * can run, and low enough that a typo such as `-n 99999999` is an error at once, not a launcher that grows
 * for minutes.
 */
export const MAX_RANKS = 65536;

function parseNp(raw: RawOptions): number | undefined {
  if (raw.np === undefined) return undefined;
  const value = Number(raw.np);
  if (!/^\d+$/.test(raw.np) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(
      `${raw.spelled.np}: ${JSON.stringify(raw.np)} is not a whole number of ranks of at least 1`,
    );
  }
  if (value > MAX_RANKS) {
    throw new UsageError(`${raw.spelled.np}: ${value} ranks are more than the ${MAX_RANKS} a job may have`);
  }
  return value;
}

function parseTimeout(raw: RawOptions): number | undefined {
  if (raw.timeout === undefined) return undefined;
  const value = Number(raw.timeout);
  if (raw.timeout.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--timeout: ${JSON.stringify(raw.timeout)} is not a positive number of seconds`);
  }
  return value;
}

function parseEventsFile(raw: RawOptions, context: ValidationContext): string | undefined {
  if (raw.events === undefined) return undefined;
  if (raw.events === "") throw new UsageError("--events: needs a file name");
  const absolute = path.resolve(context.cwd, raw.events);
  if (context.kindOf(absolute) === "directory") {
    throw new UsageError(`--events: ${JSON.stringify(raw.events)} is a directory, not a file`);
  }
  if (context.kindOf(path.dirname(absolute)) !== "directory") {
    throw new UsageError(`--events: the directory of ${JSON.stringify(raw.events)} does not exist`);
  }
  return absolute;
}

function parseReport(raw: RawOptions, context: ValidationContext): LaunchOptions["report"] {
  if (raw.report === undefined) return undefined;
  if (raw.report === "") return { file: undefined, format: undefined };
  const format = raw.report.endsWith(".json") ? "json" : raw.report.endsWith(".html") ? "html" : undefined;
  if (format === undefined) {
    throw new UsageError(`--report: ${JSON.stringify(raw.report)} does not end in .json or .html`);
  }
  const absolute = path.resolve(context.cwd, raw.report);
  if (context.kindOf(path.dirname(absolute)) !== "directory") {
    throw new UsageError(`--report: the directory of ${JSON.stringify(raw.report)} does not exist`);
  }
  return { file: absolute, format };
}

function parseScript(raw: RawOptions, context: ValidationContext): string {
  const script = raw.script;
  if (script === undefined) throw new UsageError("Missing the script to run");
  if (/^(https?|file):\/\//.test(script)) return script;
  const absolute = path.resolve(context.cwd, script);
  const kind = context.kindOf(absolute);
  if (kind === undefined) throw new UsageError(`Script ${JSON.stringify(script)} not found`);
  if (kind !== "file") throw new UsageError(`Script ${JSON.stringify(script)} is not a file`);
  return absolute;
}

function parseExports(raw: RawOptions, context: ValidationContext): [string, string][] {
  return raw.env.map((entry) => {
    const equals = entry.indexOf("=");
    const name = equals < 0 ? entry : entry.slice(0, equals);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UsageError(`-x: ${JSON.stringify(entry)} does not start with a variable name`);
    }
    if (RESERVED_ENV.includes(name)) {
      throw new UsageError(`-x: ${name} is set by the launcher for every rank and cannot be exported`);
    }
    if (equals >= 0) return [name, entry.slice(equals + 1)];
    const value = context.env[name];
    if (value === undefined) throw new UsageError(`-x: ${name} is not set in the launcher's environment`);
    return [name, value];
  });
}

function parseHosts(raw: RawOptions, context: ValidationContext): HostSlots[] | undefined {
  if (raw.host.length > 0 && raw.hostfile !== undefined) {
    throw new UsageError("--host and --hostfile cannot be used together");
  }
  try {
    if (raw.host.length > 0) return parseHostList(raw.host.join(","));
    if (raw.hostfile === undefined) return undefined;
    const file = path.resolve(context.cwd, raw.hostfile);
    if (context.kindOf(file) !== "file") {
      throw new UsageError(`--hostfile: ${JSON.stringify(raw.hostfile)} is not a readable file`);
    }
    return parseHostfile(context.readText(file), raw.hostfile);
  } catch (error) {
    if (error instanceof HostListError) {
      throw new UsageError(`${raw.host.length > 0 ? raw.spelled.host : "--hostfile"}: ${error.message}`);
    }
    throw error;
  }
}

function parseDirectory(raw: RawOptions, key: "wdir", context: ValidationContext): string {
  const value = raw[key];
  if (value === undefined) return context.cwd;
  const absolute = path.resolve(context.cwd, value);
  if (context.kindOf(absolute) !== "directory") {
    throw new UsageError(`--${key}: ${JSON.stringify(value)} is not a directory`);
  }
  return absolute;
}

function parseOutput(raw: RawOptions, context: ValidationContext): { dir?: string; copy: boolean } {
  const value = raw.outputFilename;
  if (value === undefined) return { copy: true };
  const copy = !value.endsWith(":nocopy");
  const dir = copy ? value : value.slice(0, -":nocopy".length);
  if (dir === "") throw new UsageError(`--output-filename: ${JSON.stringify(value)} names no directory`);
  const absolute = path.resolve(context.cwd, dir);
  const kind = context.kindOf(absolute);
  if (kind !== undefined && kind !== "directory") {
    throw new UsageError(`--output-filename: ${JSON.stringify(dir)} exists and is not a directory`);
  }
  return { dir: absolute, copy };
}

function parseBind(raw: RawOptions): { address?: string; iface?: string } {
  if (raw.bindAddress !== undefined && raw.bindInterface !== undefined) {
    throw new UsageError("--bind-address and --bind-to-interface cannot be used together");
  }
  if (raw.bindAddress !== undefined && isIP(raw.bindAddress) === 0) {
    throw new UsageError(`--bind-address: ${JSON.stringify(raw.bindAddress)} is not an IP address`);
  }
  if (raw.bindInterface !== undefined && !/^[\w.:\-@]+$/.test(raw.bindInterface)) {
    throw new UsageError(
      `--bind-to-interface: ${JSON.stringify(raw.bindInterface)} is not an interface name`,
    );
  }
  return { address: raw.bindAddress, iface: raw.bindInterface };
}

/**
 * Validates a scanned command line into {@linkcode LaunchOptions}. Throws {@linkcode UsageError} naming the
 * flag and the value at the first problem. `--help` and `--version` are the caller's to handle first.
 *
 * @example
 * ```ts
 * import { resolveOptions, scanCommandLine, UsageError } from "./options.ts";
 * try {
 *   resolveOptions(scanCommandLine(["-n", "0", "app.ts"]));
 * } catch (error) {
 *   if (error instanceof UsageError) console.log(error.message); // -n: "0" is not a whole number of ranks of at least 1
 * }
 * ```
 */
export function resolveOptions(
  raw: RawOptions,
  context: ValidationContext = processContext(),
): LaunchOptions {
  const np = parseNp(raw);
  const runtime = oneOf<RankRuntime>(raw, "runtime", ["deno", "bun"]);
  const launcher = oneOf<LauncherKind>(raw, "launcher", ["local", "ssh", "slurm"]);
  const mapBy = oneOf<MapBy>(raw, "mapBy", ["slot", "node"]) ?? "slot";
  const timeoutSeconds = parseTimeout(raw);
  const bind = parseBind(raw);
  const output = parseOutput(raw, context);
  const wdir = parseDirectory(raw, "wdir", context);
  const env = parseExports(raw, context);
  const hosts = parseHosts(raw, context);
  const script = parseScript(raw, context);
  const eventsFile = parseEventsFile(raw, context);
  const report = parseReport(raw, context);
  return {
    np,
    script,
    scriptArgs: [...raw.scriptArgs],
    runtime,
    hosts,
    launcher,
    mapBy,
    oversubscribe: raw.oversubscribe,
    bindAddress: bind.address,
    bindInterface: bind.iface,
    tagOutput: raw.tagOutput,
    timestampOutput: raw.timestampOutput,
    outputDir: output.dir,
    outputCopy: output.copy,
    env,
    wdir,
    timeoutSeconds,
    eventsFile,
    report,
    check: raw.check,
    inspect: parseInspect(raw.inspect, raw.inspectWait),
  };
}

/** The `--help` text, written from {@linkcode OPTION_SPECS}. */
export function helpText(): string {
  const rows = OPTION_SPECS.map((spec) => [
    spec.names.join(", ") + (spec.value === undefined ? "" : spec.optional ? spec.value : ` ${spec.value}`),
    spec.help,
  ]);
  const width = Math.max(...rows.map(([flags]) => flags.length)) + 2;
  return [
    "mpirun-deno: run a TypeScript MPI program as N ranks",
    "",
    "Usage: mpirun-deno [options] script.ts [args...]",
    "",
    "Options come before the script; everything after the script is passed to it untouched.",
    "",
    "Options:",
    ...rows.map(([flags, help]) => `  ${flags.padEnd(width)}${help}`),
    "",
    "Exit code: 0 when every rank exits 0; otherwise the first failing rank's code (128+N for signal N),",
    "124 on --timeout, 2 for a command-line error.",
    "",
    "Remote hosts are reached with ssh (BatchMode), or with the command in MPIRUN_DENO_SSH (e.g. 'ssh -F cfg').",
    "Inside a Slurm allocation ranks start as one srun step; under 'srun mpirun-deno script.ts' each task is a rank.",
    "",
  ].join("\n");
}

/**
 * The `--version` line: the launcher's version and the runtime it runs on.
 *
 * @example
 * ```ts
 * import { versionText } from "./options.ts";
 * console.log(versionText()); // e.g. "mpirun-deno 0.1.0 (deno 2.5.0)"
 * ```
 */
export function versionText(): string {
  return `mpirun-deno ${VERSION} (${runtimeName} ${runtimeVersion})`;
}
