import assert from "node:assert/strict";
import { test } from "node:test";
import { RefusalLog } from "../../lib/transport/refusals.ts";

test("the first refusal is printed whole, the rest counted per interval, by host", async () => {
  const lines: string[] = [];
  const log = new RefusalLog((line) => lines.push(line), { intervalMs: 30, now: () => 0 });
  for (let i = 0; i < 600; i++) {
    log.refused(`127.0.0.1:${40000 + i}`, "it does not speak the mpirun-deno protocol");
  }
  log.refused("[::1]:5000", "its proof of the job token is wrong");
  assert.deepEqual(lines, [
    "refused a connection from 127.0.0.1:40000: it does not speak the mpirun-deno protocol",
  ]);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(lines.slice(1), [
    "refused 600 more connections from 127.0.0.1 (599), ::1 (1) since 1970-01-01T00:00:00.000Z " +
    "(last: its proof of the job token is wrong)",
  ]);
  // A quiet interval ends the spell: the next refusal is printed whole again.
  await new Promise((resolve) => setTimeout(resolve, 60));
  log.refused("10.0.0.2:1", "it claims the unexpected id 5");
  assert.equal(lines.at(-1), "refused a connection from 10.0.0.2:1: it claims the unexpected id 5");
  log.close();
  assert.equal(lines.length, 3);
});
