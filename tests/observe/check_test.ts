/** `--check` type-checks the script with Deno before any rank starts, through the real launcher. */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { flavour, runRanks } from "../_helpers/run_ranks.ts";

/** A script with a type error, written at test time (the repository's own type check must stay clean). */
function scriptWithTypeError(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-check-")), "type_error.ts");
  fs.writeFileSync(
    file,
    [
      'import { MPI } from "mpirun-deno";',
      "const rank: string = MPI.COMM_WORLD.rank;",
      "console.log(`started rank ${rank}`);",
      "",
    ].join("\n"),
  );
  return file;
}

test(`--check refuses a script with a type error before starting any rank (${flavour})`, async () => {
  const job = await runRanks(2, scriptWithTypeError(), { launcherArgs: ["--check"] });
  assert.equal(job.code, 2, job.stderr);
  assert.doesNotMatch(job.stdout, /started rank/);
  if (flavour === "binary") {
    assert.match(job.stderr, /--check needs Deno and this project's sources/);
  } else {
    assert.match(job.stderr, /TS2322/);
    assert.match(
      job.stderr,
      /--check: deno check found errors in .*type_error\.ts \(above\); no rank was started/,
    );
  }
});

// The compiled binary refuses --check (above).
if (flavour !== "binary") {
  test(`--check lets a correct script run (${flavour})`, async () => {
    const job = await runRanks(2, "examples/hello.ts", { launcherArgs: ["--check"] });
    assert.equal(job.code, 0, job.stderr);
    assert.equal(job.ranks.flat().filter((line) => line.startsWith("Hello, World!")).length, 2, job.stdout);
  });
}
