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
import { splitCommand } from "./spawn_ssh.ts";
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
/** Which ranks read the launcher's standard input (`--stdin`). */
export type StdinTarget = number | "all" | "none";

/**
 * How ranks are placed on hosts: fill each host's slots in turn (`slot`; `core` alike, one rank per core's
 * slot), or round-robin over the hosts (`node`). `ppr:N:node` is `slot` with N slots on every host.
 */
export type MapBy = "slot" | "node" | "core";
/** How ranks are numbered once placed: in placement order, host by host (`slot`), or round-robin (`node`). */
export type RankBy = "slot" | "node";
/** What each rank is bound to: nothing (the default), or one core of its host. */
export type BindTo = "none" | "core";

/** The command line as scanned: strings, not yet validated. */
export interface RawOptions {
  np?: string;
  host: string[];
  hostfile?: string;
  launcher?: string;
  mapBy?: string;
  perNode?: string;
  rankBy?: string;
  bindTo?: string;
  reportBindings: boolean;
  displayMap: boolean;
  oversubscribe: boolean;
  runtime?: string;
  bindAddress?: string;
  bindInterface?: string;
  tagOutput: boolean;
  timestampOutput: boolean;
  outputFilename?: string;
  stdin?: string;
  mergeStderr: boolean;
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
  /** `--app FILE`: the programs of an MPMD job, one per line. */
  app?: string;
  /** The first argument that is not an option, if any. */
  script?: string;
  /** Everything after the script up to a lone `:`, untouched. */
  scriptArgs: string[];
  /** The spelling the user gave each option (`-np` or `-n`), for messages. */
  spelled: Partial<Record<OptionKey, string>>;
  /** The programs after the first of an MPMD command line (`-n 1 a.ts : -n 3 b.ts`), in order. */
  programs: RawProgram[];
}

/** Keys of {@linkcode RawOptions} that options set. */
export type OptionKey = Exclude<keyof RawOptions, "script" | "scriptArgs" | "spelled" | "programs">;

/** The options one program of an MPMD job may have of its own; every other option is the whole job's. */
export const PROGRAM_KEYS: readonly OptionKey[] = ["np", "env", "wdir"];

/** One program of an MPMD job as scanned: its own options, its script and the script's arguments. */
export interface RawProgram {
  np?: string;
  env: string[];
  wdir?: string;
  script?: string;
  scriptArgs: string[];
  spelled: Partial<Record<OptionKey, string>>;
  /** Where it was given, for messages: `program 2 (after the 1st ":")` or `app.txt:3`. */
  origin: string;
}

/** One launcher option: its spellings, its value (none for a switch) and its line in `--help`. */
export interface OptionSpec {
  key: OptionKey;
  names: readonly string[];
  /** What the value looks like in `--help`; absent for switches. */
  value?: string;
  /** Takes two words, joined as `NAME=VALUE` (MPICH's `-genv NAME VALUE`). */
  pair?: true;
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
    value: "slot|core|node|ppr:N:node",
    help:
      "Fill each host's slots (cores) in turn (default), deal ranks round-robin over hosts, or N per host",
  },
  {
    key: "perNode",
    names: ["-N", "--npernode", "-ppn"],
    value: "N",
    help: "N ranks on every host, whatever its slots (as --map-by ppr:N:node)",
  },
  {
    key: "rankBy",
    names: ["--rank-by"],
    value: "slot|node",
    help: "Number ranks host by host (slot), or round-robin over hosts (node) (default: as mapped)",
  },
  {
    key: "bindTo",
    names: ["--bind-to"],
    value: "core|none",
    help: "Bind each rank to one core of its host, the Nth for local rank N (with taskset); default none",
  },
  {
    key: "reportBindings",
    names: ["--report-bindings"],
    help: "Print each rank's binding before the job starts",
  },
  {
    key: "displayMap",
    names: ["--display-map"],
    help: "Print the job's map (rank, host, local rank, cores, program) before it starts",
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
    key: "stdin",
    names: ["--stdin"],
    value: "RANK|all|none",
    help: "Which ranks read the launcher's standard input (default 0); the others read end-of-file",
  },
  {
    key: "mergeStderr",
    names: ["--merge-stderr-to-stdout"],
    help: "Forward the ranks' stderr to the launcher's stdout, line by line",
  },
  {
    key: "env",
    names: ["-x"],
    value: "VAR[=VALUE]",
    help: "Export VAR to the ranks, with VALUE or the launcher's own value; repeatable",
  },
  {
    key: "env",
    names: ["-genv", "-env"],
    value: "VAR VALUE",
    pair: true,
    help: "As -x VAR=VALUE (MPICH's spelling); repeatable",
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
  {
    key: "app",
    names: ["--app", "-configfile"],
    value: "FILE",
    help: "Run the programs FILE lists, one per line: '-n 2 [-x VAR] [--wdir DIR] script.ts [args]'",
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

/** The edit distance between `a` and `b` (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * `; did you mean --hostfile?` for a mistyped option: the nearest spelling of an option (Open MPI's
 * single-dash `-hostfile` included), when it is near enough to be a typo; else nothing.
 *
 * @example
 * ```ts
 * import { suggestionFor } from "./options.ts";
 * console.log(suggestionFor("--hostfle")); // '; did you mean --hostfile?'
 * ```
 */
export function suggestionFor(arg: string): string {
  const typed = arg.split("=", 1)[0];
  let best: { name: string; distance: number } | undefined;
  for (const name of SPEC_BY_NAME.keys()) {
    const distance = Math.min(editDistance(typed, name), editDistance(`-${typed}`, name));
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  // A one-letter flag is too short to guess from: "-q" is as near "-n" as "-H".
  const limit = typed.length < 4 ? 0 : Math.floor(typed.length / 3);
  return best !== undefined && best.distance <= limit ? `; did you mean ${best.name}?` : "";
}

/** The one-line reminder printed under every usage error. */
export const USAGE_HINT =
  "Usage: mpirun-deno [options] script.ts [args...]  (mpirun-deno --help lists the options)";

function emptyRaw(): RawOptions {
  return {
    host: [],
    env: [],
    oversubscribe: false,
    reportBindings: false,
    displayMap: false,
    mergeStderr: false,
    check: false,
    inspectWait: false,
    tagOutput: false,
    timestampOutput: false,
    help: false,
    version: false,
    scriptArgs: [],
    spelled: {},
    programs: [],
  };
}

/** The argument that separates the programs of an MPMD command line. */
export const PROGRAM_SEPARATOR = ":";

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

/** Where an option's value goes: the job's options, or one program's of an MPMD job. */
type OptionTarget = RawOptions | RawProgram;

/**
 * Scans options from `argv[from]` into `target` until the script; returns the index of the script, or
 * `argv.length` when there is none. `only` limits the options (a program of an MPMD job has only its own).
 */
function scanOptions(
  argv: readonly string[],
  from: number,
  target: OptionTarget,
  only?: { keys: readonly OptionKey[]; origin: string },
): number {
  for (let index = from; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === "--") return index + 1;
    if (!arg.startsWith("-") || arg === "-") return index;
    const found = lookup(arg);
    if (!found) throw new UsageError(`Unknown option ${JSON.stringify(arg)}${suggestionFor(arg)}`);
    const { spec, name } = found;
    if (only !== undefined && !only.keys.includes(spec.key)) {
      throw new UsageError(
        `${only.origin}: ${name} applies to the whole job; give it before the first program ` +
          `(a program has only ${
            only.keys.map((key) => OPTION_SPECS.find((s) => s.key === key)!.names[0]).join(", ")
          })`,
      );
    }
    target.spelled[spec.key] = name;
    const slots = target as unknown as Record<string, unknown>;
    if (spec.value === undefined) {
      if (found.inline !== undefined) {
        throw new UsageError(`Option ${name} takes no value, got ${JSON.stringify(arg)}`);
      }
      slots[spec.key] = true;
      continue;
    }
    let value: string | undefined = found.inline ?? (spec.optional ? "" : argv[++index]);
    if (spec.pair && value !== undefined) {
      value = argv[index + 1] === undefined ? undefined : `${value}=${argv[++index]}`;
    }
    if (value === undefined) throw new UsageError(`Option ${name} needs a value (${spec.value})`);
    const slot = slots[spec.key];
    if (Array.isArray(slot)) slot.push(value);
    else slots[spec.key] = value;
  }
  return argv.length;
}

/** Takes the script at `argv[at]` and its arguments up to a lone `:`; returns the index after that `:`. */
function takeScript(argv: readonly string[], at: number, target: OptionTarget): number | undefined {
  if (at >= argv.length) return undefined;
  if (argv[at] === PROGRAM_SEPARATOR) return at + 1;
  const separator = argv.indexOf(PROGRAM_SEPARATOR, at + 1);
  const end = separator < 0 ? argv.length : separator;
  target.script = argv[at];
  target.scriptArgs = argv.slice(at + 1, end);
  return separator < 0 ? undefined : separator + 1;
}

function ordinal(n: number): string {
  return n === 1 ? "1st" : n === 2 ? "2nd" : n === 3 ? "3rd" : `${n}th`;
}

/** An empty program of an MPMD job. */
function emptyProgram(origin: string): RawProgram {
  return { env: [], scriptArgs: [], spelled: {}, origin };
}

/**
 * Scans one program of an MPMD job from `argv`, with only a program's own options
 * ({@linkcode PROGRAM_KEYS}). A `:` in it is an error: `origin` names where it came from.
 */
export function scanProgram(argv: readonly string[], origin: string): RawProgram {
  const program = emptyProgram(origin);
  const next = takeScript(argv, scanOptions(argv, 0, program, { keys: PROGRAM_KEYS, origin }), program);
  if (next !== undefined) throw new UsageError(`${origin}: one program per line, without ":"`);
  if (program.script === undefined) throw new UsageError(`${origin}: names no script`);
  return program;
}

/**
 * Scans the command line as `mpirun` does: options first; the first argument that is not an option is the
 * script, and everything after it belongs to the script untouched, up to a lone `:` that starts the next
 * program of an MPMD job (`-n 1 a.ts : -n 3 b.ts`), which has only its own `-n`, `-x` and `--wdir`. `--`
 * ends the options explicitly.
 *
 * @example
 * ```ts
 * import { scanCommandLine } from "./options.ts";
 * const raw = scanCommandLine(["-np", "4", "--tag-output", "app.ts", "-n", "9"]);
 * console.log(raw.np, raw.script, raw.scriptArgs); // "4" "app.ts" ["-n", "9"]
 * const mpmd = scanCommandLine(["-n", "1", "a.ts", ":", "-n", "3", "b.ts"]);
 * console.log(mpmd.programs[0].np, mpmd.programs[0].script); // "3" "b.ts"
 * ```
 */
export function scanCommandLine(argv: readonly string[]): RawOptions {
  const raw = emptyRaw();
  let next = takeScript(argv, scanOptions(argv, 0, raw), raw);
  if (next !== undefined && raw.script === undefined) {
    throw new UsageError(`program 1 (before the 1st ":"): names no script`);
  }
  while (next !== undefined) {
    const origin = `program ${raw.programs.length + 2} (after the ${ordinal(raw.programs.length + 1)} ":")`;
    const program = emptyProgram(origin);
    const at = scanOptions(argv, next, program, { keys: PROGRAM_KEYS, origin });
    next = takeScript(argv, at, program);
    if (program.script === undefined) throw new UsageError(`${origin}: names no script`);
    raw.programs.push(program);
  }
  return raw;
}

/** One program of the job: the script its ranks run, and its own options. */
export interface ProgramOptions {
  /** Its number of ranks; `undefined` means one per slot (only for a job of one program). */
  np: number | undefined;
  /** Absolute path of the script, or its URL. */
  script: string;
  scriptArgs: string[];
  /** Variables exported with `-x` (the job's, then its own), in order. */
  env: [name: string, value: string][];
  /** Absolute working directory of its ranks. */
  wdir: string;
}

/** The validated launch request. */
export interface LaunchOptions {
  /**
   * The programs of the job in order, one for an SPMD job; `np`, `script`, `scriptArgs`, `env` and `wdir`
   * below are the first one's (`np` the job's total).
   */
  programs: ProgramOptions[];
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
  /** Ranks per host (`-N`, `--map-by ppr:N:node`), whatever the hosts' slots; `undefined`: their slots. */
  perNode: number | undefined;
  /** `--rank-by`; `undefined` numbers ranks in placement order. */
  rankBy: RankBy | undefined;
  bindTo: BindTo;
  reportBindings: boolean;
  displayMap: boolean;
  oversubscribe: boolean;
  bindAddress: string | undefined;
  bindInterface: string | undefined;
  tagOutput: boolean;
  timestampOutput: boolean;
  /** Directory of per-rank output files, absolute. */
  outputDir: string | undefined;
  /** Whether output also goes to the launcher's stdout/stderr (false with `:nocopy`). */
  outputCopy: boolean;
  /** Which ranks read the launcher's standard input: one rank (0 by default), every one, or none. */
  stdin: StdinTarget;
  /** `--merge-stderr-to-stdout`. */
  mergeStderr: boolean;
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
  EnvName.APPNUM,
  EnvName.SCRIPT,
  EnvName.ROLE,
  EnvName.PARENT_PID,
  EnvName.JOIN_FILE,
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

function parseNp(raw: Pick<RawOptions, "np" | "spelled">): number | undefined {
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

/** `--map-by` and `-N`: `ppr:N:node` is `slot` with N per host; `-N` may not contradict it. */
function parseMapping(raw: RawOptions): { mapBy: MapBy; perNode: number | undefined } {
  const flag = raw.spelled.perNode;
  let perNode: number | undefined;
  if (raw.perNode !== undefined) {
    if (!/^\d+$/.test(raw.perNode) || Number(raw.perNode) < 1 || Number(raw.perNode) > MAX_RANKS) {
      throw new UsageError(
        `${flag}: ${JSON.stringify(raw.perNode)} is not a whole number of ranks of at least 1`,
      );
    }
    perNode = Number(raw.perNode);
  }
  const ppr = /^ppr:(\d+):node$/.exec(raw.mapBy ?? "");
  if (ppr === null) {
    if (raw.mapBy !== undefined && /^ppr:/.test(raw.mapBy)) {
      throw new UsageError(`--map-by: ${JSON.stringify(raw.mapBy)} is not ppr:N:node (N ranks per node)`);
    }
    const mapBy = oneOf<MapBy>(raw, "mapBy", ["slot", "core", "node"]) ?? "slot";
    if (perNode !== undefined && mapBy === "node") {
      throw new UsageError(`${flag} places N ranks per host in turn; it cannot go with --map-by node`);
    }
    return { mapBy, perNode };
  }
  const count = Number(ppr[1]);
  if (count < 1 || count > MAX_RANKS) throw new UsageError(`--map-by: ${raw.mapBy}: N must be at least 1`);
  if (perNode !== undefined && perNode !== count) {
    throw new UsageError(`${flag} ${perNode} contradicts --map-by ${raw.mapBy}`);
  }
  return { mapBy: "slot", perNode: count };
}

function parseStdin(raw: RawOptions): StdinTarget {
  const value = raw.stdin;
  if (value === undefined) return 0;
  if (value === "all" || value === "none") return value;
  if (/^\d+$/.test(value) && Number(value) < MAX_RANKS) return Number(value);
  throw new UsageError(`--stdin: ${JSON.stringify(value)} is not a rank, all or none`);
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

function parseScript(raw: Pick<RawOptions, "script">, context: ValidationContext): string {
  const script = raw.script;
  if (script === undefined) throw new UsageError("Missing the script to run");
  if (/^(https?|file):\/\//.test(script)) return script;
  const absolute = path.resolve(context.cwd, script);
  const kind = context.kindOf(absolute);
  if (kind === undefined) throw new UsageError(`Script ${JSON.stringify(script)} not found`);
  if (kind !== "file") throw new UsageError(`Script ${JSON.stringify(script)} is not a file`);
  return absolute;
}

function parseExports(raw: Pick<RawOptions, "env">, context: ValidationContext): [string, string][] {
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

function parseDirectory(
  raw: Pick<RawOptions, "wdir">,
  key: "wdir",
  context: ValidationContext,
  fallback = context.cwd,
): string {
  const value = raw[key];
  if (value === undefined) return fallback;
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
  const runtime = oneOf<RankRuntime>(raw, "runtime", ["deno", "bun"]);
  const launcher = oneOf<LauncherKind>(raw, "launcher", ["local", "ssh", "slurm"]);
  const mapping = parseMapping(raw);
  const timeoutSeconds = parseTimeout(raw);
  const bind = parseBind(raw);
  const output = parseOutput(raw, context);
  const wdir = parseDirectory(raw, "wdir", context);
  const env = parseExports(raw, context);
  const hosts = parseHosts(raw, context);
  const programs = parsePrograms(raw, { env, wdir }, context);
  const [first] = programs;
  const eventsFile = parseEventsFile(raw, context);
  const report = parseReport(raw, context);
  return {
    programs,
    np: programs.length === 1 ? first.np : programs.reduce((sum, program) => sum + program.np!, 0),
    script: first.script,
    scriptArgs: first.scriptArgs,
    runtime,
    hosts,
    launcher,
    ...mapping,
    rankBy: oneOf<RankBy>(raw, "rankBy", ["slot", "node"]),
    bindTo: oneOf<BindTo>(raw, "bindTo", ["core", "none"]) ?? "none",
    reportBindings: raw.reportBindings,
    displayMap: raw.displayMap,
    oversubscribe: raw.oversubscribe,
    bindAddress: bind.address,
    bindInterface: bind.iface,
    tagOutput: raw.tagOutput,
    timestampOutput: raw.timestampOutput,
    outputDir: output.dir,
    outputCopy: output.copy,
    stdin: parseStdin(raw),
    mergeStderr: raw.mergeStderr,
    env: first.env,
    wdir: first.wdir,
    timeoutSeconds,
    eventsFile,
    report,
    check: raw.check,
    inspect: parseInspect(raw.inspect, raw.inspectWait),
  };
}

/** Reads `--app FILE`: one program per line (`#` starts a comment), each as after a `:` on the command line. */
function readAppFile(raw: RawOptions, context: ValidationContext): RawProgram[] {
  const name = raw.app!;
  if (raw.script !== undefined || raw.np !== undefined) {
    throw new UsageError(
      `${raw.spelled.app}: ${JSON.stringify(name)} lists the programs with their -n; ` +
        `give no ${
          raw.script !== undefined ? `script (${JSON.stringify(raw.script)})` : raw.spelled.np
        } beside it`,
    );
  }
  const file = path.resolve(context.cwd, name);
  if (context.kindOf(file) !== "file") {
    throw new UsageError(`${raw.spelled.app}: ${JSON.stringify(name)} is not a readable file`);
  }
  const programs: RawProgram[] = [];
  context.readText(file).split(/\r?\n/).forEach((text, index) => {
    const line = text.replace(/(^|\s)#.*/, "").trim();
    if (line === "") return;
    const origin = `${name}:${index + 1}`;
    let words: string[];
    try {
      words = splitCommand(line);
    } catch (error) {
      throw new UsageError(`${origin}: ${(error as Error).message}`);
    }
    programs.push(scanProgram(words, origin));
  });
  if (programs.length === 0) {
    throw new UsageError(`${raw.spelled.app}: ${JSON.stringify(name)} lists no program`);
  }
  return programs;
}

/**
 * The programs of the job: the command line's, or `--app`'s. The job's `-x` exports and `--wdir` (those
 * before the first script) apply to every program; a program's own come on top. With more than one program,
 * each needs its `-n`.
 */
function parsePrograms(
  raw: RawOptions,
  job: { env: [string, string][]; wdir: string },
  context: ValidationContext,
): ProgramOptions[] {
  const first: RawProgram = { ...raw, env: [], wdir: undefined, origin: "program 1" };
  const rawPrograms = raw.app !== undefined ? readAppFile(raw, context) : [first, ...raw.programs];
  const several = rawPrograms.length > 1;
  return rawPrograms.map((program) => {
    const own = program !== first;
    try {
      const np = parseNp(program);
      if (np === undefined && several) {
        throw new UsageError(`names no -n: each program of a job of several needs its number of ranks`);
      }
      return {
        np,
        script: parseScript(program, context),
        scriptArgs: [...program.scriptArgs],
        env: own ? [...job.env, ...parseExports(program, context)] : job.env,
        wdir: own ? parseDirectory(program, "wdir", context, job.wdir) : job.wdir,
      };
    } catch (error) {
      if (!(error instanceof UsageError) || !several) throw error;
      throw new UsageError(`${program.origin} (${program.script}): ${error.message}`);
    }
  });
}

/**
 * The sections of `--help`, as Open MPI groups its options; an option not listed here is shown under "Other
 * options".
 */
const HELP_GROUPS: readonly [title: string, keys: readonly OptionKey[]][] = [
  ["General", ["np", "app", "runtime", "wdir", "env", "timeout"]],
  ["Hosts and start-up", ["host", "hostfile", "launcher", "oversubscribe", "bindAddress", "bindInterface"]],
  ["Mapping, ranking and binding", ["mapBy", "perNode", "rankBy", "bindTo", "reportBindings", "displayMap"]],
  ["Input and output", ["stdin", "tagOutput", "timestampOutput", "outputFilename", "mergeStderr"]],
  ["Seeing inside a job", ["events", "report", "check", "inspect", "inspectWait"]],
  ["Information", ["help", "version"]],
];

/** Examples at the end of `--help`. */
const HELP_EXAMPLES: readonly [command: string, what: string][] = [
  ["mpirun-deno -n 4 hello.ts", "4 ranks on this machine"],
  ["mpirun-deno -n 1 master.ts : -n 3 worker.ts", "one job of two programs (MPI.APPNUM 0 and 1)"],
  ["mpirun-deno --app programs.txt", "the same, one program per line of the file"],
  ["mpirun-deno --hostfile hosts -N 2 --bind-to core app.ts", "2 ranks per host, each bound to a core"],
  ["mpirun-deno -H a:4,b:4 --map-by node --display-map app.ts", "8 ranks dealt over a and b, map printed"],
  ["echo data | mpirun-deno -n 4 --stdin all app.ts", "every rank reads a copy of the input"],
  ["mpirun-deno -n 4 --report=report.html app.ts", "time in MPI, bytes and the communication matrix"],
];

/** The `--help` text, written from {@linkcode OPTION_SPECS} in the sections of {@linkcode HELP_GROUPS}. */
export function helpText(): string {
  const flags = (spec: OptionSpec) =>
    spec.names.join(", ") + (spec.value === undefined ? "" : spec.optional ? spec.value : ` ${spec.value}`);
  const width = Math.max(...OPTION_SPECS.map((spec) => flags(spec).length)) + 2;
  const listed = new Set(HELP_GROUPS.flatMap(([, keys]) => keys));
  const groups: [string, OptionSpec[]][] = [
    ...HELP_GROUPS.map(([title, keys]) =>
      [title, keys.flatMap((key) => OPTION_SPECS.filter((spec) => spec.key === key))] as [
        string,
        OptionSpec[],
      ]
    ),
    ["Other", OPTION_SPECS.filter((spec) => !listed.has(spec.key))],
  ];
  const exampleWidth = Math.max(...HELP_EXAMPLES.map(([command]) => command.length)) + 2;
  return [
    "mpirun-deno: run a TypeScript MPI program as N ranks",
    "",
    "Usage: mpirun-deno [options] script.ts [args...] [: [-n N] [-x VAR] [--wdir DIR] script2.ts [args...]]...",
    "",
    "Options come before the script; everything after the script is passed to it untouched, up to a lone ':'",
    "that starts the next program of the job (-n, -x and --wdir are then that program's own).",
    ...groups.filter(([, specs]) => specs.length > 0).flatMap(([title, specs]) => [
      "",
      `${title} options:`,
      ...specs.map((spec) => `  ${flags(spec).padEnd(width)}${spec.help}`),
    ]),
    "",
    "Exit code: 0 when every rank exits 0; otherwise the first failing rank's code (128+N for signal N),",
    "128+N when the launcher gets signal N (130 for Ctrl-C), 124 on --timeout, 2 for a command-line error.",
    "",
    "Remote hosts are reached with ssh (BatchMode), or with the command in MPIRUN_DENO_SSH (e.g. 'ssh -F cfg').",
    "Inside a Slurm allocation ranks start as one srun step; under 'srun mpirun-deno script.ts' each task is a rank.",
    "Inside a PBS/Torque or LSF job, the hosts are PBS_NODEFILE's, or LSB_MCPU_HOSTS's / LSB_HOSTS's (over ssh).",
    "",
    "Examples:",
    ...HELP_EXAMPLES.map(([command, what]) => `  ${command.padEnd(exampleWidth)}${what}`),
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
