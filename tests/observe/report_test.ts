/**
 * `--report[=FILE]` through the real launcher: on a known pattern (tests/observe/fixtures/pattern.ts), the
 * terminal table and heat map, the JSON file's counts and matrix, the HTML page; nothing without the option.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { flavour, runRanks } from "../_helpers/run_ranks.ts";

const SIZE = 3;
const PATTERN = "tests/observe/fixtures/pattern.ts";

function tempFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-report-")), name);
}

test(`--report=FILE.json prints the report and writes calls, bytes, times and the matrix (${flavour})`, async () => {
  const file = tempFile("report.json");
  const job = await runRanks(SIZE, PATTERN, { launcherArgs: [`--report=${file}`] });
  assert.equal(job.code, 0, job.stderr);
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(report.size, SIZE);
  for (let rank = 0; rank < SIZE; rank++) {
    const profile = report.ranks[rank];
    const right = (rank + 1) % SIZE;
    assert.equal(profile.rank, rank);
    assert.deepEqual(
      [profile.calls.Send.calls, profile.calls.Send.bytes],
      [3, 3000],
      JSON.stringify(profile),
    );
    assert.equal(profile.calls.Recv.calls, 3);
    assert.equal(profile.calls.allreduce.calls, 1);
    assert.ok(profile.mpiSeconds > 0 && profile.mpiSeconds <= profile.wallSeconds, JSON.stringify(profile));
    assert.ok(profile.slowest.length > 0);
    // The ring's 3000 bytes (and the allreduce's messages) go to the right neighbour; with 3 ranks, the
    // allreduce may also send to the left one, but never to itself.
    assert.ok(report.matrix.bytes[rank][right] >= 3000, JSON.stringify(report.matrix));
    assert.ok(report.matrix.messages[rank][right] >= 3, JSON.stringify(report.matrix));
    assert.equal(report.matrix.bytes[rank][rank], 0);
  }
  // After a barrier, rank 0 starts sending 100 ms late (the fixture's DELAY_MS): rank 1's first Recv is timed
  // until its promise settles (about 100 ms, less by how much later rank 1 left the barrier), not until the
  // call returns (microseconds). It is among the slowest calls, not always the first: a Send to a rank still
  // connecting, or the allreduce, can take longer.
  const waiting = report.ranks[1];
  const pending = (call: { call: string; seconds: number }) => call.call === "Recv" && call.seconds >= 0.05;
  assert.ok(waiting.calls.Recv.maxSeconds >= 0.05, JSON.stringify(waiting));
  assert.ok(waiting.mpiSeconds >= 0.05, JSON.stringify(waiting));
  assert.ok(waiting.slowest.some(pending), JSON.stringify(waiting));
  assert.equal(report.calls.Send.calls, 3 * SIZE);
  assert.equal(report.calls.Send.bytes, 3000 * SIZE);

  const text = job.stderr.slice(job.stderr.indexOf("mpirun-deno: report of 3 ranks"));
  assert.match(text, /^ {2}rank +wall s +in MPI s +in MPI +outside s +calls +sent$/m, job.stderr);
  assert.match(text, /^ {2}total +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d%/m);
  assert.match(text, /^ {2}Send +9 +9\.0 kB /m);
  assert.match(text, /^ {2}slowest calls:$/m);
  assert.match(text, /communication matrix \(bytes from row to column; ·░▒▓█ up to [\d.]+ kB\):/);
  // Row r of the heat map is dark at column r+1 (mod 3) and blank on the diagonal.
  for (let rank = 0; rank < SIZE; rank++) {
    const row = new RegExp(`^ {4}${rank}\\|(.{${SIZE}})\\|`, "m").exec(text);
    assert.ok(row, text);
    assert.equal(row[1][rank], " ", `diagonal of row ${rank}: ${text}`);
    assert.match(row[1][(rank + 1) % SIZE], /[▒▓█]/, `row ${rank}: ${text}`);
  }
  assert.match(job.stderr, new RegExp(`wrote the report to ${file.replace(/[.]/g, "\\.")}`));
});

test(`--report=FILE.html writes a self-contained page with the matrix and the time bars (${flavour})`, async () => {
  const file = tempFile("report.html");
  const job = await runRanks(SIZE, PATTERN, { launcherArgs: [`--report=${file}`] });
  assert.equal(job.code, 0, job.stderr);
  const page = fs.readFileSync(file, "utf8");
  assert.ok(page.startsWith("<!DOCTYPE html>"));
  assert.equal(page.match(/<td class="m"/g)?.length, SIZE * SIZE);
  assert.equal(page.match(/<div class="in" style="width:[\d.]+%"/g)?.length, SIZE);
  assert.match(page, /title="0 → 1: [\d.]+ kB in \d+ messages"/);
  assert.doesNotMatch(page, /<script|https?:\/\//, "self-contained: no script, no external resource");
});

test(`without --report, no report is printed (${flavour})`, async () => {
  const job = await runRanks(SIZE, PATTERN);
  assert.equal(job.code, 0, job.stderr);
  assert.doesNotMatch(job.stderr, /report of/);
});

test(`--report refuses a file that is neither .json nor .html (${flavour})`, async () => {
  const job = await runRanks(1, PATTERN, { launcherArgs: ["--report=out.txt"] });
  assert.equal(job.code, 2);
  assert.match(job.stderr, /--report: "out.txt" does not end in \.json or \.html/);
});
