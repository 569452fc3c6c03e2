import assert from "node:assert/strict";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { readEnv, writeEnv } from "../../lib/env.ts";
import { cpuCount, fileUrl, hostname, pid, randomBytes, toHex } from "../../lib/runtime/host.ts";
import process from "node:process";
import * as os from "node:os";

test("fileUrl escapes a path as Node's pathToFileURL does", () => {
  for (
    const path of [
      "/tmp/a.ts",
      "/tmp/a #1.ts",
      "/tmp/100%/x?.ts",
      "/tmp/tab\there",
      "/tmp/ünï cödé/ß.ts",
      "/a\\b",
    ]
  ) {
    assert.equal(fileUrl(path), pathToFileURL(path).href, path);
  }
});

test("the process facts agree with node:os and node:process", () => {
  assert.equal(pid, process.pid);
  assert.equal(hostname(), os.hostname());
  assert.ok(cpuCount() >= 1);
});

test("writeEnv is seen by readEnv and by process.env; an empty value reads as unset", () => {
  writeEnv("MPIRUN_DENO_HOST_TEST", "42");
  assert.equal(readEnv("MPIRUN_DENO_HOST_TEST"), "42");
  assert.equal(process.env.MPIRUN_DENO_HOST_TEST, "42");
  writeEnv("MPIRUN_DENO_HOST_TEST", "");
  assert.equal(readEnv("MPIRUN_DENO_HOST_TEST"), undefined);
});

test("randomBytes gives fresh bytes and toHex spells them two digits each", () => {
  const a = randomBytes(32);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, randomBytes(32));
  assert.equal(toHex(new Uint8Array([0, 15, 16, 255])), "000f10ff");
});
