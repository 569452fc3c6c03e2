/**
 * Reads a test runner's output: the passed and failed counts of Deno's or Bun's summary, and the names of the
 * tests that failed. `test_all.ts` prints them in its closing lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { counts, failedNames } from "./test_output.ts";
 * assert.deepEqual(counts("ok | 3 passed | 0 failed (1s)"), { passed: 3, failed: 0 });
 * assert.deepEqual(failedNames("(fail) adds two numbers [1.20ms]"), ["adds two numbers"]);
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

/**
 * The names of the tests that failed, as Deno's `FAILURES` list (`name => file:line:col`) and Bun's `(fail) name`
 * lines give them, so that the closing lines (all a CI log's tail may keep) say which tests failed.
 */
export function failedNames(output: string): string[] {
  const plain = plainText(output);
  const names = new Set<string>();
  const failures = [...plain.matchAll(/^ ?FAILURES ?$/gm)].at(-1);
  if (failures !== undefined) {
    for (const match of plain.slice(failures.index).matchAll(/^(.+ => \S+:\d+:\d+)$/gm)) names.add(match[1]);
  }
  for (const match of plain.matchAll(/^\(fail\) (.+?)(?: \[[\d.]+m?s\])?$/gm)) names.add(match[1]);
  return [...names];
}
