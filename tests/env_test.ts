/** Reading the MPIRUN_DENO_* variables: the host-name override that fakes several hosts on one machine. */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { EnvName, readHostnameOverride } from "../lib/env.ts";

function withHostname(value: string | undefined, body: () => void): void {
  const saved = process.env[EnvName.HOSTNAME];
  if (value === undefined) delete process.env[EnvName.HOSTNAME];
  else process.env[EnvName.HOSTNAME] = value;
  try {
    body();
  } finally {
    if (saved === undefined) delete process.env[EnvName.HOSTNAME];
    else process.env[EnvName.HOSTNAME] = saved;
  }
}

test("without MPIRUN_DENO_HOSTNAME, ranks keep their real host name", () => {
  withHostname(undefined, () => assert.equal(readHostnameOverride(3), undefined));
  withHostname("", () => assert.equal(readHostnameOverride(3), undefined));
});

test("one name applies to every rank", () => {
  withHostname(
    "node7",
    () => assert.deepEqual([0, 1, 5].map(readHostnameOverride), ["node7", "node7", "node7"]),
  );
});

test("a comma-separated list gives rank r item r modulo the count", () => {
  withHostname("a, a,b", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(readHostnameOverride), ["a", "a", "b", "a", "a", "b"]);
  });
});

test("an empty name in the list is an error naming the variable", () => {
  withHostname(
    "a,,b",
    () => assert.throws(() => readHostnameOverride(0), /MPIRUN_DENO_HOSTNAME="a,,b" has an empty host name/),
  );
});
