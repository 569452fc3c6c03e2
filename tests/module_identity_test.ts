/**
 * One copy of the module in every rank, whatever way the user's script imports it: the bare name, a URL to
 * `mod.ts`, the project's own `deno.json` (whose other entries keep working), or a relative path to a
 * checkout. Each way runs a job outside the repository that uses an op, `IN_PLACE`, a collective and
 * `instanceof MPIError`, which all fail when a rank holds two copies. The same jobs check that the script
 * behaves as it does outside the launcher: `import.meta.main` is true, `MPI.argv` (and on Deno `Deno.args`)
 * holds its arguments, and a syntax error names the file, line and column.
 *
 * Runs through the launcher of `MPIRUN_DENO_TEST_LAUNCHER` (deno, bun or the binary).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runProcess } from "./_helpers/process.ts";
import { flavour, launcherCommand, linesByRank, REPO } from "./_helpers/run_ranks.ts";
import { serveRepository } from "./_helpers/serve_repository.ts";

const SIZE = 3;
const TIMEOUT_MS = 120_000;
const SCRIPT_ARGS = ["--name", "a b"];

/** The checks every rank runs and prints as one JSON line; `helperSum` comes from the project's other file. */
const BODY = `
const comm = MPI.COMM_WORLD;
const sum = await comm.allreduce(comm.rank + 1, helperSum);
const buffer = new Float64Array([comm.rank + 1]);
await comm.Allreduce(MPI.IN_PLACE, buffer, MPI.MAX);
const gathered = await comm.allgather(comm.rank);
let typed = "not thrown";
try {
  await comm.send("x", comm.size + 5);
} catch (error) {
  typed = \`\${error instanceof MPI.MPIError} \${(error as { codeName?: string }).codeName}\`;
}
const denoArgs = typeof Deno === "undefined" ? null : Deno.args;
console.log(JSON.stringify({
  sum, inPlace: buffer[0], gathered, typed, comm: comm instanceof MPI.Comm,
  main: import.meta.main, argv: MPI.argv, denoArgs,
}));
`;

/** One way of importing the module: the files of a project outside the repository. */
interface ImportStyle {
  name: string;
  /** The script to run, relative to the test's folder; the job runs in its folder. Default: app.ts. */
  script?: string;
  files(base: string, dir: string): Record<string, string>;
}

const sumFromModule = (specifier: string) =>
  `import { MPI as HelperMPI } from "${specifier}";\nexport const helperSum = HelperMPI.SUM;\n`;

/** Copies the module's sources (mod.ts, lib/ and deno.json) to `target`, as another checkout of them. */
function copyCheckout(target: string): void {
  fs.cpSync(path.join(REPO, "lib"), path.join(target, "lib"), { recursive: true });
  for (const file of ["mod.ts", "deno.json"]) fs.copyFileSync(path.join(REPO, file), path.join(target, file));
}

const STYLES: ImportStyle[] = [
  {
    name: "the bare name",
    files: () => ({
      "app.ts": `import { MPI } from "mpirun-deno";\nimport { helperSum } from "./helper.ts";\n${BODY}`,
      "helper.ts": sumFromModule("mpirun-deno"),
    }),
  },
  {
    name: "a URL to mod.ts, also from a second file",
    files: (base) => ({
      "app.ts": `import { MPI } from "${base}/mod.ts";\nimport { helperSum } from "./helper.ts";\n${BODY}`,
      "helper.ts": sumFromModule(`${base}/mod.ts`),
    }),
  },
  {
    // Bun reads no deno.json: there the bare name alone resolves, and the helper is imported by its path. The
    // helper lies outside the project's folder, as a shared file or a checkout would.
    name: "the project's deno.json mapping mpirun-deno to a URL, beside its other imports",
    script: "project/app.ts",
    files: (base) => ({
      "project/deno.json": JSON.stringify({
        imports: { "mpirun-deno": `${base}/mod.ts`, "helper": "../shared/helper.ts" },
      }),
      "project/app.ts": `import { MPI } from "mpirun-deno";\nimport { helperSum } from "${
        flavour === "deno" ? "helper" : "../shared/helper.ts"
      }";\n${BODY}`,
      "shared/helper.ts": sumFromModule(`${base}/mod.ts`),
    }),
  },
  {
    // Another copy of the sources than the launcher's (a vendored checkout): it must not load beside it.
    name: "a relative path to another checkout's mod.ts",
    files: (_base, dir) => {
      copyCheckout(path.join(dir, "vendor"));
      return {
        "app.ts": `import { MPI } from "./vendor/mod.ts";\nimport { helperSum } from "./helper.ts";\n${BODY}`,
        "helper.ts": sumFromModule("./vendor/mod.ts"),
      };
    },
  },
  {
    // The README's way for Deno users: deno.json names a checkout outside the project's folder.
    name: "the project's deno.json mapping mpirun-deno to another checkout outside its folder",
    script: "project/app.ts",
    files: (_base, dir) => {
      copyCheckout(path.join(dir, "checkout"));
      return {
        "project/deno.json": JSON.stringify({ imports: { "mpirun-deno": "../checkout/mod.ts" } }),
        "project/app.ts":
          `import { MPI } from "mpirun-deno";\nimport { helperSum } from "./helper.ts";\n${BODY}`,
        "project/helper.ts": sumFromModule("mpirun-deno"),
      };
    },
  },
];

/** Runs `script` of `dir` on `size` ranks through the launcher under test, from `dir`. */
async function launch(dir: string, script: string, size: number) {
  const { command, args } = launcherCommand([
    "-n",
    String(size),
    "--oversubscribe",
    "--tag-output",
    "--timeout",
    "100",
    path.join(dir, script),
    ...SCRIPT_ARGS,
  ]);
  // A DENO_DIR of the test's own: the URL's modules come from this run's server, not an old cache.
  const run = await runProcess(command, args, {
    cwd: dir,
    env: { DENO_DIR: path.join(dir, ".deno_dir") },
    timeoutMs: TIMEOUT_MS - 5_000,
  });
  return { ...run, ranks: linesByRank(run.stdout, size) };
}

for (const style of STYLES) {
  test(
    `one module copy when the script imports ${style.name} (${flavour})`,
    { timeout: TIMEOUT_MS },
    async () => {
      const { server, base } = await serveRepository();
      const dir = fs.mkdtempSync(path.join(tmpdir(), "mpirun-deno-identity-"));
      try {
        for (const [name, text] of Object.entries(style.files(base, dir))) {
          fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
          fs.writeFileSync(path.join(dir, name), text);
        }
        const script = path.join(dir, style.script ?? "app.ts");
        const job = await launch(path.dirname(script), path.basename(script), SIZE);
        assert.equal(job.code, 0, `${job.stdout}\n${job.stderr}`);
        for (let rank = 0; rank < SIZE; rank++) {
          assert.equal(job.ranks[rank].length, 1, `rank ${rank}: ${job.stdout}\n${job.stderr}`);
          assert.deepEqual(JSON.parse(job.ranks[rank][0]), {
            sum: (SIZE * (SIZE + 1)) / 2,
            inPlace: SIZE,
            gathered: [0, 1, 2],
            typed: "true ERR_RANK",
            comm: true,
            main: true,
            argv: SCRIPT_ARGS,
            denoArgs: flavour === "deno" ? SCRIPT_ARGS : null,
          });
        }
      } finally {
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

test(`a script that does not parse is named with its line and column (${flavour})`, {
  timeout: TIMEOUT_MS,
}, async () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), "mpirun-deno-syntax-"));
  try {
    fs.writeFileSync(path.join(dir, "broken.ts"), `import { MPI } from "mpirun-deno";\nconst x = ;\n`);
    const job = await launch(dir, "broken.ts", 2);
    assert.notEqual(job.code, 0);
    assert.match(job.stderr, /broken\.ts:2:11/, job.stderr);
    assert.match(job.stderr, /mpirun-deno: rank \d/, job.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
