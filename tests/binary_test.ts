/**
 * The single executable `dist/mpirun-deno` (built here once, or reused while newer than its sources), run the
 * way a cluster user runs it: from a directory outside the repository, with no deno, bun or node on `PATH`.
 * Also the `deno compile` build, skipped when Deno's runtime cannot be downloaded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { hostname, tmpdir } from "node:os";
import * as path from "node:path";
import { BINARY, binaryIsStale, buildBinary, DENO_BINARY, REPO } from "../scripts/build_binary.ts";
import { runProcess } from "./_helpers/process.ts";
import { linesByRank } from "./_helpers/run_ranks.ts";

/** More ranks than any test here starts. */
const MAX_RANKS = 16;

/** Generous: the first build and the first start of a 100 MB executable on a slow disk. */
const TIMEOUT_MS = 120_000;

/** A directory outside the repository that holds the user's files, and an empty one to serve as `PATH`. */
const work = fs.mkdtempSync(path.join(tmpdir(), "mpirun-deno-binary-"));
const emptyPath = path.join(work, "empty-path");
fs.mkdirSync(emptyPath);
for (const example of ["hello", "p2p", "nonblocking"]) {
  fs.copyFileSync(path.join(REPO, "examples", `${example}.ts`), path.join(work, `${example}.ts`));
}

const bunBuild = binaryIsStale(BINARY) ? buildBinary() : { ok: true, log: "" };

/** What a run of an executable left. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout lines of each rank (from `--tag-output`), by rank. */
  ranks: string[][];
}

/** Runs `executable` in `work` with nothing but an empty `PATH` and `HOME` in its environment. */
async function runIsolated(executable: string, args: string[], cwd = work): Promise<Run> {
  const run = await runProcess(executable, args, {
    cwd,
    env: { PATH: emptyPath, HOME: work },
    onlyEnv: true,
    timeoutMs: TIMEOUT_MS - 5_000,
  });
  return { ...run, ranks: linesByRank(run.stdout, MAX_RANKS) };
}

/** Runs the Bun-built binary on `size` ranks of `script` (relative to `cwd`), every line tagged. */
function runBinary(size: number, script: string, cwd = work): Promise<Run> {
  assert.ok(bunBuild.ok, `building ${BINARY} failed:\n${bunBuild.log}`);
  return runIsolated(BINARY, [
    "-n",
    String(size),
    "--oversubscribe",
    "--tag-output",
    "--timeout",
    "100",
    script,
  ], cwd);
}

test("no deno, bun or node is on the PATH the binary and its ranks get", () => {
  for (const tool of ["deno", "bun", "node"]) assert.ok(!fs.existsSync(path.join(emptyPath, tool)));
  assert.deepEqual(fs.readdirSync(emptyPath), []);
});

test(
  "mpirun-deno --version names the version and the runtime inside the binary",
  { timeout: TIMEOUT_MS },
  async () => {
    assert.ok(bunBuild.ok, `building ${BINARY} failed:\n${bunBuild.log}`);
    const run = await runIsolated(BINARY, ["--version"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^mpirun-deno \d+\.\d+\.\d+\S* \(bun \d+\.\d+\.\d+\S*\)\n$/);
  },
);

test("the binary runs hello.ts from outside the repository on 4 ranks", { timeout: TIMEOUT_MS }, async () => {
  const run = await runBinary(4, "hello.ts");
  assert.equal(run.code, 0, run.stderr);
  for (let rank = 0; rank < 4; rank++) {
    assert.deepEqual(run.ranks[rank], [`Hello, World! I am process ${rank} of 4 on ${hostname()}.`]);
  }
});

for (const example of ["p2p", "nonblocking"]) {
  test(
    `the binary runs ${example}.ts from outside the repository on 4 ranks`,
    { timeout: TIMEOUT_MS },
    async () => {
      const run = await runBinary(4, path.join(work, `${example}.ts`));
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.ranks[0], [`rank 0 sent {"x":1,"y":2} to 3 ranks`]);
      for (let rank = 1; rank < 4; rank++) {
        assert.deepEqual(run.ranks[rank], [`rank ${rank} received {"x":1,"y":2} with tag ${rank}`]);
      }
    },
  );
}

test(
  "a user script's relative imports of its own modules work in the binary",
  { timeout: TIMEOUT_MS },
  async () => {
    const app = path.join(work, "app");
    fs.mkdirSync(path.join(app, "lib"), { recursive: true });
    fs.writeFileSync(
      path.join(app, "lib", "greeting.ts"),
      `export function greeting(rank: number, size: number): string {\n  return \`helper says \${rank}/\${size}\`;\n}\n`,
    );
    fs.writeFileSync(
      path.join(app, "main.ts"),
      [
        `import { MPI } from "mpirun-deno";`,
        `import { greeting } from "./lib/greeting.ts";`,
        `const comm = MPI.COMM_WORLD;`,
        `const next = (comm.rank + 1) % comm.size;`,
        `const prev = (comm.rank + comm.size - 1) % comm.size;`,
        `const got = await comm.sendrecv(greeting(comm.rank, comm.size), next, 0, prev, 0);`,
        `console.log(\`\${comm.rank} got "\${got}"\`);`,
        ``,
      ].join("\n"),
    );
    const run = await runBinary(3, "main.ts", app);
    assert.equal(run.code, 0, run.stderr);
    for (let rank = 0; rank < 3; rank++) {
      assert.deepEqual(run.ranks[rank], [`${rank} got "helper says ${(rank + 2) % 3}/3"`]);
    }
  },
);

test("an import of mod.ts from a URL resolves to the binary's own copy, with no network", {
  timeout: TIMEOUT_MS,
}, async () => {
  fs.writeFileSync(
    path.join(work, "remote.ts"),
    [
      `import { MPI } from "https://example.invalid/some/path/mod.ts";`,
      `import { COMM_WORLD } from "mpirun-deno";`,
      `const { SUM } = await import("http://example.invalid:8080/mpirun-deno/v0.1.0/mod.ts?x=1");`,
      `// "https://example.invalid/comment/mod.ts" in a comment is left alone`,
      `const comm = MPI.COMM_WORLD;`,
      `const peer = comm.size - 1 - comm.rank;`,
      `const got = await comm.sendrecv(comm.rank, peer, 0, peer, 0);`,
      `console.log(\`rank \${comm.rank}: same module \${COMM_WORLD === comm}, SUM \${typeof SUM}, peer said \${got}\`);`,
      ``,
    ].join("\n"),
  );
  const run = await runBinary(4, "remote.ts");
  assert.equal(run.code, 0, run.stderr);
  for (let rank = 0; rank < 4; rank++) {
    assert.deepEqual(run.ranks[rank], [`rank ${rank}: same module true, SUM object, peer said ${3 - rank}`]);
  }
});

test("a local copy of mod.ts resolves to the binary's own copy: one set of classes", {
  timeout: TIMEOUT_MS,
}, async () => {
  const local = path.join(REPO, "mod.ts");
  fs.writeFileSync(
    path.join(work, "local_copy.ts"),
    [
      `import { MPI, MPIError } from ${JSON.stringify(local)};`,
      `import * as bare from "mpirun-deno";`,
      `let sameError = false;`,
      `try {`,
      `  await bare.COMM_WORLD.send(1, 99);`,
      `} catch (error) {`,
      `  sameError = error instanceof MPIError;`,
      `}`,
      `console.log(\`rank \${MPI.COMM_WORLD.rank}: same world \${bare.MPI.COMM_WORLD === MPI.COMM_WORLD}, same MPIError \${sameError}\`);`,
      ``,
    ].join("\n"),
  );
  const run = await runBinary(2, "local_copy.ts");
  assert.equal(run.code, 0, run.stderr);
  for (let rank = 0; rank < 2; rank++) {
    assert.deepEqual(run.ranks[rank], [`rank ${rank}: same world true, same MPIError true`]);
  }
});

test("a rank that throws in the binary fails the job and is named", { timeout: TIMEOUT_MS }, async () => {
  fs.writeFileSync(
    path.join(work, "throws.ts"),
    `import { MPI } from "mpirun-deno";\nif (MPI.COMM_WORLD.rank === 1) throw new Error("boom on one");\nawait MPI.COMM_WORLD.recv(0, 99);\n`,
  );
  const run = await runBinary(2, "throws.ts");
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /rank 1\b/);
  assert.match(run.stderr, /boom on one/);
});

/** Builds the `deno compile` binary once, giving up quickly when Deno's runtime cannot be downloaded. */
function tryDenoBuild(): { skip: string | false; log: string } {
  const result = buildBinary({ builder: "deno", timeoutMs: 90_000 });
  if (result.ok) return { skip: false, log: result.log };
  if (result.offline || /timed out|ETIMEDOUT/i.test(result.log)) {
    return { skip: "deno compile cannot download Deno's runtime (denort) here: no network", log: result.log };
  }
  return { skip: false, log: result.log };
}

const denoBuild = tryDenoBuild();
if (denoBuild.skip) console.error(`binary_test: skipping the deno compile build: ${denoBuild.skip}`);

test(
  "the deno compile build runs as launcher and ranks",
  { skip: denoBuild.skip, timeout: TIMEOUT_MS },
  async () => {
    assert.ok(fs.existsSync(DENO_BINARY), `deno compile failed:\n${denoBuild.log}`);
    const version = await runIsolated(DENO_BINARY, ["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /\(deno \d+\.\d+\.\d+/);
    // Deno's compiled programs have imported only what was embedded at build time (denoland/deno#18327): then
    // a script from elsewhere fails, with a message that points to the Bun-built binary.
    const run = await runIsolated(DENO_BINARY, ["-n", "2", "--tag-output", "hello.ts"]);
    if (run.code === 0) {
      for (let rank = 0; rank < 2; rank++) {
        assert.deepEqual(run.ranks[rank], [`Hello, World! I am process ${rank} of 2 on ${hostname()}.`]);
      }
    } else {
      assert.match(run.stderr, /can import only the modules embedded when it was built/);
    }
  },
);

test("clean up the binary tests' directory", () => {
  fs.rmSync(work, { recursive: true, force: true });
});
