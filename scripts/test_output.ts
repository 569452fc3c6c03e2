/**
 * Reads a test runner's output: the passed and failed counts of Deno's or Bun's summary, and the tests that
 * failed with the first lines of their errors. `test_all.ts` prints them in its closing lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { counts, failures } from "./test_output.ts";
 * assert.deepEqual(counts("ok | 3 passed | 0 failed (1s)"), { passed: 3, failed: 0 });
 * assert.deepEqual(failures("(fail) adds two numbers [1.20ms]"), [{ name: "adds two numbers", reason: [] }]);
 * ```
 *
 * @module
 */

/** The output without colour codes. */
function plainText(output: string): string {
  // deno-lint-ignore no-control-regex
  return output.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Reads the passed and failed counts from Deno's or Bun's summary. */
export function counts(output: string): { passed: number; failed: number } {
  const plain = plainText(output);
  const deno = [...plain.matchAll(/^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/gm)].at(
    -1,
  );
  if (deno) return { passed: Number(deno[1]), failed: Number(deno[2]) };
  const pass = [...plain.matchAll(/^\s*(\d+) pass$/gm)].at(-1);
  const fail = [...plain.matchAll(/^\s*(\d+) fail$/gm)].at(-1);
  return { passed: Number(pass?.[1] ?? 0), failed: Number(fail?.[1] ?? 0) };
}

/** A failed test: its name and the first lines of what its runner printed about it. */
export interface Failure {
  name: string;
  /** The error's first lines (code frames, stack frames and blank lines left out), each cut to 300 characters. */
  reason: string[];
}

/** How many lines of a failure's error the closing lines keep. */
const REASON_LINES = 8;

/**
 * The lines of an error worth keeping: from its first `...Error:` line if it has one (what the test printed
 * before it is left out), without blank lines, code frames (`10 |`, `^`) or stack frames (`at ...`).
 */
function reasonLines(block: string): string[] {
  const lines = block.split("\n");
  const first = lines.findIndex((line) => /^\s*(?:error: |[\w.]*Error\b)/.test(line));
  const kept: string[] = [];
  for (const line of lines.slice(Math.max(first, 0))) {
    const trimmed = line.trim();
    if (trimmed === "" || /^\d+ \|/.test(trimmed) || /^\^+$/.test(trimmed) || /^at /.test(trimmed)) continue;
    kept.push(trimmed.length > 300 ? `${trimmed.slice(0, 300)}...` : trimmed);
    if (kept.length === REASON_LINES) break;
  }
  return kept;
}

/**
 * The tests that failed, as Deno's `ERRORS` and `FAILURES` sections (`name => file:line:col`) and Bun's
 * `(fail) name` lines give them, each with the first lines of its error, so that the closing lines (all a CI
 * log's tail may keep) say which tests failed and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failures } from "./test_output.ts";
 * const bun = "(pass) one [1ms]\nError: two is wrong\n      at x.ts:3:1\n(fail) two [2.00ms]\n";
 * assert.deepEqual(failures(bun), [{ name: "two", reason: ["Error: two is wrong"] }]);
 * ```
 */
export function failures(output: string): Failure[] {
  const plain = plainText(output);
  const found = new Map<string, string[]>();
  const errors = [...plain.matchAll(/^ ?ERRORS ?$/gm)].at(-1);
  const failuresHeader = [...plain.matchAll(/^ ?FAILURES ?$/gm)].at(-1);
  if (errors !== undefined) {
    // Each error: its `name => file:line:col` line, then the error up to the next such line or FAILURES.
    const section = plain.slice(errors.index, failuresHeader?.index);
    const heads = [...section.matchAll(/^(.+ => \S+:\d+:\d+)$/gm)];
    heads.forEach((head, i) => {
      const body = section.slice(head.index + head[0].length, heads[i + 1]?.index);
      found.set(head[1], reasonLines(body));
    });
  }
  if (failuresHeader !== undefined) {
    for (const match of plain.slice(failuresHeader.index).matchAll(/^(.+ => \S+:\d+:\d+)$/gm)) {
      if (!found.has(match[1])) found.set(match[1], []);
    }
  }
  // Bun prints a test's error before its `(fail)` line, after the previous test's line or the file's name.
  let blockStart = 0;
  for (
    const match of plain.matchAll(/^(?:\((pass|fail|skip|todo)\) (.+?)(?: \[[\d.]+m?s\])?|\S.*\.[jt]sx?:)$/gm)
  ) {
    if (match[1] === "fail") found.set(match[2], reasonLines(plain.slice(blockStart, match.index)));
    blockStart = match.index + match[0].length;
  }
  return [...found].map(([name, reason]) => ({ name, reason }));
}
