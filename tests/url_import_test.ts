/**
 * Plain Deno users import `mod.ts` from a URL. The repository is served on a loopback HTTP server, and a
 * script outside the repository that imports `http://127.0.0.1:PORT/mod.ts` runs alone under `deno run`,
 * which fetches the module over HTTP, and on ranks launched by `deno run -A cli.ts`, which map that URL to
 * the launcher's own copy (one copy per process: see tests/module_identity_test.ts). Bun ranks, which
 * cannot import from URLs, get the launcher's copy for the same import too.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runProcess } from "./_helpers/process.ts";
import { linesByRank, REPO } from "./_helpers/run_ranks.ts";
import { serveRepository } from "./_helpers/serve_repository.ts";

/** More ranks than any test here starts. */
const MAX_RANKS = 16;

const TIMEOUT_MS = 120_000;

/** A script outside the repository that imports the module from `url`: ranks exchange values around a ring. */
function writeScript(dir: string, url: string): string {
  const script = path.join(dir, "ring.ts");
  fs.writeFileSync(
    script,
    [
      `import { MPI } from "${url}";`,
      `const comm = MPI.COMM_WORLD;`,
      `const next = (comm.rank + 1) % comm.size;`,
      `const prev = (comm.rank + comm.size - 1) % comm.size;`,
      `const got = await comm.sendrecv({ from: comm.rank }, next, 3, prev, 3);`,
      `console.log(\`rank \${comm.rank} of \${comm.size} got \${JSON.stringify(got)}\`);`,
      ``,
    ].join("\n"),
  );
  return script;
}

/** Runs the launcher (`command` and its leading `args`) on `size` ranks of `script`, lines tagged by rank. */
async function launch(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; ranks: string[][] }> {
  const run = await runProcess(command, args, {
    cwd: path.dirname(args.at(-1)!),
    env,
    timeoutMs: TIMEOUT_MS - 5_000,
  });
  return {
    code: run.code,
    stdout: run.stdout,
    stderr: run.stderr,
    ranks: linesByRank(run.stdout, MAX_RANKS),
  };
}

function assertRing(ranks: string[][], size: number): void {
  for (let rank = 0; rank < size; rank++) {
    const from = (rank + size - 1) % size;
    assert.deepEqual(ranks[rank], [`rank ${rank} of ${size} got {"from":${from}}`]);
  }
}

const bin = (name: string) => path.join(REPO, "node_modules", ".bin", name);

test(
  "deno runs a script that imports mod.ts from an http URL alone, fetched from the server, and on ranks with the launcher's copy",
  { timeout: TIMEOUT_MS },
  async () => {
    const { server, base, requested } = await serveRepository();
    const dir = fs.mkdtempSync(path.join(tmpdir(), "mpirun-deno-url-"));
    try {
      const script = writeScript(dir, `${base}/mod.ts`);
      // A DENO_DIR of its own: the modules must come from the server, not from an earlier run's cache.
      const env = { DENO_DIR: path.join(dir, "deno_dir") };
      const alone = await launch(bin("deno"), ["run", "-A", "--no-check", script], env);
      assert.equal(alone.code, 0, alone.stderr);
      assert.equal(alone.stdout, `rank 0 of 1 got {"from":0}\n`);
      assert.ok(
        requested.includes("/mod.ts"),
        `the server was not asked for /mod.ts: ${requested.join(", ")}`,
      );
      assert.ok(
        requested.some((p) => p.startsWith("/lib/")),
        "the module's own imports came from the server",
      );
      requested.length = 0;
      const job = await launch(
        bin("deno"),
        [
          "run",
          "-A",
          "--no-check",
          path.join(REPO, "cli.ts"),
          "-n",
          "3",
          "--oversubscribe",
          "--tag-output",
          "--timeout",
          "100",
          script,
        ],
        env,
      );
      assert.equal(job.code, 0, job.stderr);
      assertRing(job.ranks, 3);
      assert.deepEqual(requested, []);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "bun ranks resolve the same URL import to their own copy of the module",
  { timeout: TIMEOUT_MS },
  async () => {
    const { server, base, requested } = await serveRepository();
    const dir = fs.mkdtempSync(path.join(tmpdir(), "mpirun-deno-url-"));
    try {
      const script = writeScript(dir, `${base}/mod.ts`);
      const job = await launch(
        bin("bun"),
        [path.join(REPO, "cli.ts"), "-n", "2", "--tag-output", "--timeout", "100", script],
        {},
      );
      assert.equal(job.code, 0, job.stderr);
      assertRing(job.ranks, 2);
      assert.deepEqual(requested, []);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
