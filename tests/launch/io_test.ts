import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { OUTPUT_HIGH_WATER, OutputForwarder, type Sink } from "../../lib/launch/io.ts";
import { memorySink, tempDir } from "./_helpers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A sink that remembers every write separately. */
function recordingSink(): Sink & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    write: (chunk) => void writes.push(new TextDecoder().decode(chunk)),
    drain: async () => {},
  };
}

function forwarder(size: number, options: Partial<ConstructorParameters<typeof OutputForwarder>[0]> = {}) {
  const stdout = recordingSink();
  const stderr = recordingSink();
  const output = new OutputForwarder({
    size,
    tag: false,
    timestamp: false,
    copy: true,
    stdout,
    stderr,
    ...options,
  });
  const endAll = () => {
    for (let rank = 0; rank < size; rank++) {
      output.end(rank, "stdout");
      output.end(rank, "stderr");
    }
  };
  return { output, stdout, stderr, endAll };
}

test("lines split across chunks arrive whole, with their rank's tag", async () => {
  const { output, stdout, endAll } = forwarder(2, { tag: true });
  output.write(1, "stdout", bytes("hel"));
  output.write(1, "stdout", bytes("lo\nwor"));
  output.write(0, "stdout", bytes("zero\n"));
  output.write(1, "stdout", bytes("ld\n"));
  endAll();
  await output.close();
  assert.deepEqual(stdout.writes, ["[1] hello\n", "[0] zero\n", "[1] world\n"]);
});

test("interleaved chunks of many ranks never produce a mixed line", async () => {
  const { output, stdout, endAll } = forwarder(3, { tag: true });
  const text = (rank: number) => Array.from({ length: 50 }, (_, i) => `rank ${rank} says ${i}\n`).join("");
  const offsets = [0, 0, 0];
  for (let step = 0; offsets.some((offset, rank) => offset < text(rank).length); step++) {
    const rank = step % 3;
    const size = 1 + (step * 7) % 13;
    output.write(rank, "stdout", bytes(text(rank).slice(offsets[rank], offsets[rank] + size)));
    offsets[rank] += size;
  }
  endAll();
  await output.close();
  for (const write of stdout.writes) {
    assert.ok(write.endsWith("\n"), `a write ends mid-line: ${JSON.stringify(write)}`);
  }
  const lines = stdout.writes.join("").split("\n").filter((line) => line !== "");
  assert.equal(lines.length, 150);
  for (const line of lines) assert.match(line, /^\[(\d)\] rank \1 says \d+$/);
});

test("stdout and stderr go to their own sinks", async () => {
  const { output, stdout, stderr, endAll } = forwarder(1);
  output.write(0, "stderr", bytes("oops\n"));
  output.write(0, "stdout", bytes("fine\n"));
  endAll();
  await output.close();
  assert.deepEqual(stdout.writes, ["fine\n"]);
  assert.deepEqual(stderr.writes, ["oops\n"]);
});

test("a final line without a newline is delivered, terminated when several ranks share the output", async () => {
  const many = forwarder(2, {});
  many.output.write(0, "stdout", bytes("a\nlast"));
  many.endAll();
  await many.output.close();
  assert.equal(many.stdout.writes.join(""), "a\nlast\n");

  const single = forwarder(1, {});
  single.output.write(0, "stdout", bytes("exact bytes"));
  single.endAll();
  await single.output.close();
  assert.equal(
    single.stdout.writes.join(""),
    "exact bytes",
    "one untagged rank's output is passed through as is",
  );

  const tagged = forwarder(1, { tag: true });
  tagged.output.write(0, "stdout", bytes("no newline"));
  tagged.endAll();
  await tagged.output.close();
  assert.equal(tagged.stdout.writes.join(""), "[0] no newline\n");
});

test("an unfinished line (a prompt) is forwarded after a short idle time, continued without a second tag", async () => {
  const { output, stdout, endAll } = forwarder(1, { tag: true, idleFlushMs: 20 });
  output.write(0, "stdout", bytes("Name? "));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(stdout.writes, ["[0] Name? "]);
  output.write(0, "stdout", bytes("Ada\nnext\n"));
  endAll();
  await output.close();
  assert.equal(stdout.writes.join(""), "[0] Name? Ada\n[0] next\n");
});

test("with several ranks an unfinished line waits for its newline, however long the rank stalls", async () => {
  const { output, stdout, endAll } = forwarder(2, { tag: true, idleFlushMs: 20 });
  output.write(0, "stdout", bytes("half"));
  await new Promise((resolve) => setTimeout(resolve, 60));
  output.write(1, "stdout", bytes("other\n"));
  output.write(0, "stdout", bytes(" line\n"));
  endAll();
  await output.close();
  assert.deepEqual(stdout.writes, ["[1] other\n", "[0] half line\n"]);
});

test("a line longer than the bound goes in pieces, said once on stderr", async () => {
  const { output, stdout, stderr, endAll } = forwarder(2, { tag: true, maxLineBytes: 8 });
  output.write(0, "stdout", bytes("0123456789"));
  output.write(0, "stdout", bytes("abcdefghij\n"));
  endAll();
  await output.close();
  assert.equal(stdout.writes.join(""), "[0] 0123456789abcdefghij\n");
  assert.deepEqual(stderr.writes, [
    "mpirun-deno: rank 0 wrote a line of more than 8 bytes on stdout: such lines are forwarded in pieces, " +
    "which lines of other ranks may come between\n",
  ]);
});

test("write() asks to stop reading while a sink has too much waiting", () => {
  let backlog = 0;
  const sink: Sink = { write: () => {}, drain: async () => {}, backlog: () => backlog };
  const output = new OutputForwarder({
    size: 1,
    tag: false,
    timestamp: false,
    copy: true,
    stdout: sink,
    stderr: sink,
  });
  assert.equal(output.write(0, "stdout", bytes("a\n")), true);
  backlog = OUTPUT_HIGH_WATER + 1;
  assert.equal(output.write(0, "stdout", bytes("b\n")), false);
});

test("--timestamp-output prefixes the ISO time, before the tag", async () => {
  const now = () => new Date("2025-01-02T03:04:05.678Z");
  const { output, stdout, endAll } = forwarder(3, { tag: true, timestamp: true, now });
  output.write(2, "stdout", bytes("x\ny\n"));
  endAll();
  await output.close();
  assert.equal(stdout.writes.join(""), "2025-01-02T03:04:05.678Z [2] x\n2025-01-02T03:04:05.678Z [2] y\n");
});

test("--output-filename writes each rank's raw bytes to DIR/rank.N/{stdout,stderr}", async () => {
  const dir = tempDir();
  const stdout = memorySink();
  const output = new OutputForwarder({
    size: 2,
    tag: true,
    timestamp: false,
    copy: true,
    dir: path.join(dir, "out"),
    stdout,
    stderr: memorySink(),
  });
  output.openFiles();
  output.write(1, "stdout", bytes("one\ntw"));
  output.write(1, "stdout", bytes("o"));
  output.write(0, "stderr", bytes("err\n"));
  await output.close();
  assert.equal(fs.readFileSync(path.join(dir, "out", "rank.1", "stdout"), "utf8"), "one\ntwo");
  assert.equal(fs.readFileSync(path.join(dir, "out", "rank.0", "stderr"), "utf8"), "err\n");
  assert.equal(fs.readFileSync(path.join(dir, "out", "rank.0", "stdout"), "utf8"), "");
  assert.equal(stdout.text(), "[1] one\n[1] two\n", "the terminal still gets a tagged copy");
  fs.rmSync(dir, { recursive: true });
});

test("ended resolves once every stream of every rank has ended", async () => {
  const { output } = forwarder(2);
  let ended = false;
  const done = output.ended.then(() => ended = true);
  output.end(0, "stdout");
  output.end(0, "stderr");
  output.end(1, "stdout");
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(ended, false);
  output.end(1, "stderr");
  await done;
  assert.equal(ended, true);
});

test("output that comes after its stream's end is still forwarded, and said on stderr", () => {
  const { output, stdout, stderr } = forwarder(2, { tag: true });
  output.write(0, "stdout", bytes("before"));
  output.end(0, "stdout");
  output.write(0, "stdout", bytes(" after\n"));
  output.write(0, "stdout", bytes("more\n"));
  assert.equal(stdout.writes.join(""), "[0] before\n[0]  after\n[0] more\n");
  assert.equal(stderr.writes.length, 1, "said once");
  assert.match(stderr.writes[0], /rank 0's stdout went on after its end \(7 bytes, and maybe more\)/);
});

test("1 MB in odd-sized chunks comes out byte for byte", async () => {
  const { output, stdout, endAll } = forwarder(2);
  const line = "z".repeat(1 << 20);
  const all = bytes(`${line}\nshort\n`);
  for (let offset = 0; offset < all.length; offset += 65_537) {
    output.write(1, "stdout", all.subarray(offset, offset + 65_537));
  }
  endAll();
  await output.close();
  assert.equal(stdout.writes.join(""), `${line}\nshort\n`);
});
