/**
 * Regression tests for the launcher defects of the hostile review (issue 20), each through the real launcher
 * (`MPIRUN_DENO_TEST_LAUNCHER`: deno, bun or the compiled binary) with real rank processes: output held back
 * by a slow reader (5), an absurd `-n` (7), lines of ranks mixed by a stalled rank (8), a flood of refused
 * connections (9), a script that does not parse (10), and which rank an error names (12).
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { flavour, launcherCommand, REPO } from "./_helpers/run_ranks.ts";

/** A job running past this is killed and fails its test. */
const JOB_LIMIT_MS = 30_000;

/** What a finished launcher left. */
interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The launcher's largest resident memory seen, in MiB. */
  maxRssMiB: number;
  ms: number;
}

/** The resident memory of process `pid` in MiB (0 once it is gone). */
function rssMiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/**
 * Runs the launcher with `args`. `onStdout`, when given, gets stdout's bytes instead of the result, and
 * `stallMs` leaves stdout unread that long first (a slow reader), while the launcher's memory is sampled.
 */
function launch(
  args: string[],
  options: { stallMs?: number; onStdout?: (chunk: Buffer) => void } = {},
): Promise<Ended> {
  const { command, args: full } = launcherCommand(args);
  const started = Date.now();
  const child = spawn(command, full, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let maxRssMiB = 0;
  const sampler = setInterval(() => maxRssMiB = Math.max(maxRssMiB, rssMiB(child.pid!)), 25);
  const read = () =>
    child.stdout.on("data", (chunk: Buffer) => options.onStdout ? options.onStdout(chunk) : stdout += chunk);
  if (options.stallMs) setTimeout(read, options.stallMs);
  else read();
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mpirun-deno ${args.join(" ")} ran past ${JOB_LIMIT_MS} ms:\n${stderr}`));
    }, JOB_LIMIT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      resolve({ code, stdout, stderr, maxRssMiB, ms: Date.now() - started });
    });
  });
}

const fixture = (name: string) => path.join(REPO, "tests", "faults", `${name}.ts`);

/** The launcher's own lines on stderr (`mpirun-deno: ...`, not a rank's, which are tagged). */
const launcherLines = (stderr: string) =>
  stderr.split("\n").filter((line) => line.startsWith("mpirun-deno: "));

// 5: a slow reader must not make the launcher hold every rank's output in memory.

/** Output of each rank of the flood (in MiB), and the memory the launcher may use meanwhile. */
const FLOOD_MIB = 52;
const FLOOD_RANKS = 2;
const RSS_BOUND_MIB = 160;
const LINE_BYTES = 100;

test(`a slow reader holds the ranks back instead of filling the launcher's memory (${flavour})`, async () => {
  const expected = Math.floor(FLOOD_MIB * 1024 * 1024 / LINE_BYTES);
  const next = new Array(FLOOD_RANKS).fill(0);
  const problems: string[] = [];
  let rest = "";
  const decoder = new TextDecoder();
  const line = new RegExp(`^\\[(\\d)\\] (\\d):(\\d+):x+$`);
  const job = await launch(
    [
      "-n",
      String(FLOOD_RANKS),
      "--oversubscribe",
      "--tag-output",
      fixture("review_flood"),
      String(FLOOD_MIB),
    ],
    {
      stallMs: 1500,
      onStdout: (chunk) => {
        const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
        rest = lines.pop()!;
        for (const text of lines) {
          const match = line.exec(text);
          if (match === null || match[1] !== match[2] || text.length !== LINE_BYTES - 1 + 4) {
            if (problems.length < 5 && !/^\[\d\] (pid:\d+|ready)$/.test(text)) {
              problems.push(text.slice(0, 120));
            }
            continue;
          }
          const rank = Number(match[1]);
          if (Number(match[3]) !== next[rank]++ && problems.length < 5) {
            problems.push(`out of order: ${text}`);
          }
        }
      },
    },
  );
  assert.equal(job.code, 0, job.stderr);
  assert.deepEqual(problems, [], "every line arrives whole, in order, unmixed");
  assert.equal(rest, "");
  assert.deepEqual(next, new Array(FLOOD_RANKS).fill(expected), "every line arrives");
  assert.ok(
    job.maxRssMiB < RSS_BOUND_MIB,
    `the launcher grew to ${job.maxRssMiB.toFixed(0)} MiB for ${FLOOD_RANKS * FLOOD_MIB} MiB of output`,
  );
});

// 7: an absurd -n is refused at once, naming the argument and the value.

test(`-n above this machine's CPUs needs --oversubscribe, and -n 99999999 is refused at once (${flavour})`, async () => {
  const script = fixture("output");
  const tooMany = await launch(["-n", "65536", script]);
  assert.equal(tooMany.code, 2, tooMany.stderr);
  assert.match(
    launcherLines(tooMany.stderr)[0] ?? "",
    /^mpirun-deno: -n: 65536 ranks do not fit the \d+ slots of this machine \(one per CPU\); add --oversubscribe$/,
  );
  for (const extra of [[], ["--oversubscribe"]]) {
    const absurd = await launch(["-np", "99999999", ...extra, script]);
    assert.equal(absurd.code, 2, absurd.stderr);
    assert.deepEqual(launcherLines(absurd.stderr), [
      "mpirun-deno: -np: 99999999 ranks are more than the 65536 a job may have",
    ]);
    assert.ok(absurd.ms < 10_000, `refused after ${absurd.ms} ms`);
    assert.ok(absurd.maxRssMiB < 300, `the launcher grew to ${absurd.maxRssMiB.toFixed(0)} MiB`);
  }
});

// 8: a rank that stops mid-line does not let another rank's line continue its half line.

test(`a rank stalled in the middle of a line does not mix with another rank's lines (${flavour})`, async () => {
  const job = await launch(["-n", "2", "--tag-output", fixture("review_stall")]);
  assert.equal(job.code, 0, job.stderr);
  const lines = job.stdout.split("\n").filter((line) => line !== "");
  for (const line of lines) assert.match(line, /^\[(\d)\] (?:\1:.*|pid:\d+|ready)$/, "a mixed line");
  assert.ok(lines.includes("[0] 0:first half, second half"), job.stdout);
  assert.equal(lines.filter((line) => line.startsWith("[1] 1:line ")).length, 20, job.stdout);
});

test(`a line longer than the bound is forwarded in pieces, said once on stderr (${flavour})`, async () => {
  const job = await launch(["-n", "2", "--tag-output", fixture("review_stall"), "long"]);
  assert.equal(job.code, 0, job.stderr);
  const long = job.stdout.split("\n").filter((line) => line.startsWith("[0] 0:long:"));
  assert.equal(long.length, 1);
  assert.equal(long[0], `[0] 0:long:${"y".repeat(3 * 1024 * 1024)}`);
  assert.deepEqual(launcherLines(job.stderr), [
    "mpirun-deno: rank 0 wrote a line of more than 1048576 bytes on stdout: such lines are forwarded in pieces, " +
    "which lines of other ranks may come between",
  ]);
});

// 9: a flood of strangers is summarised, not printed one line per connection.

test(`600 refused connections are reported in a few lines, with their count (${flavour})`, async () => {
  const job = await launch(["-n", "2", "--tag-output", fixture("review_strangers")]);
  assert.equal(job.code, 0, job.stderr);
  assert.match(job.stdout, /^\[1\] strangers:600$/m);
  const refusals = job.stderr.split("\n").filter((line) => line.includes("refused"));
  assert.ok(refusals.length >= 2 && refusals.length <= 4, `${refusals.length} lines:\n${job.stderr}`);
  assert.match(
    refusals[0],
    /^\[0\] mpirun-deno: rank 0: refused a connection from 127\.0\.0\.1:\d+: it does not speak the mpirun-deno protocol$/,
  );
  let counted = 1;
  for (const line of refusals.slice(1)) {
    const match =
      /^\[0\] mpirun-deno: rank 0: refused (\d+) more connections? from 127\.0\.0\.1 since \S+ \(last: .+\)$/
        .exec(line);
    assert.ok(match, line);
    counted += Number(match[1]);
  }
  assert.equal(counted, 600, job.stderr);
});

/**
 * How a rank names an error thrown at the top of the script: Deno runs the script as its main module, whose
 * top-level errors reach the rank as a rejected evaluation (as `deno run` says "Uncaught (in promise)").
 */
const TOP_LEVEL_THROW = flavour === "deno" ? "unhandled promise rejection" : "uncaught exception";

// 10: a script that does not parse is reported with its file, line and column.

test(`a syntax error in the script names its file, line and column (${flavour})`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-review-"));
  const script = path.join(dir, "broken.ts");
  fs.writeFileSync(script, "const x = 1;\nconsole.log(x);\nconst y = (2 + ;\n");
  try {
    const job = await launch(["-n", "1", script]);
    assert.equal(job.code, 1, job.stderr);
    assert.match(job.stderr, new RegExp(`${script.replaceAll(".", "\\.")}:3:\\d+`), job.stderr);
    const [line] = launcherLines(job.stderr);
    // A Deno rank runs the script as its main module: Deno itself reports the script that does not load
    // (file, line and column, checked above) and the rank exits with 1.
    const reason = flavour === "deno" ? /exited with code 1$/ : /aborted with code 1: uncaught exception: /;
    assert.match(line, new RegExp(`^mpirun-deno: rank 0 \\(host .*, pid \\d+\\) ${reason.source}`), line);
    // Bun says only "BuildMessage: Unexpected ;" by itself: the launcher's line adds where.
    if (flavour !== "deno") assert.match(line, /broken\.ts:3:\d+$/, line);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// 12: the failure named is the rank that caused it, in words that say what was wrong.

test(`a rank that exits 0 while others wait on it is the one named (${flavour})`, async () => {
  const job = await launch(["-n", "3", "--oversubscribe", "--tag-output", fixture("early_exit")]);
  assert.equal(job.code, 1, job.stderr);
  const lines = launcherLines(job.stderr);
  assert.equal(lines.length, 1, job.stderr);
  assert.match(
    lines[0],
    /^mpirun-deno: rank 1 \(host .*, pid \d+\) exited with code 0 while rank [02] still needed it \(rank [02]: .*\[ERR_PEER_LOST\].*rank 1 is gone/,
  );
});

test(`a rank given as a string is reported as a string, not as out of range (${flavour})`, async () => {
  const job = await launch(["-n", "2", "--tag-output", fixture("review_bad_args")]);
  assert.equal(job.code, 1, job.stderr);
  assert.deepEqual(
    launcherLines(job.stderr).map((line) => line.replace(/\(host .*, pid \d+\)/, "(...)")),
    [
      `mpirun-deno: rank 0 (...) aborted with code 1: ${TOP_LEVEL_THROW}: MPIError [ERR_RANK]: rank 0: send: dest "1" is a string, not an integer`,
    ],
  );
});
