/**
 * Rank 0 sends `count` values (or typed arrays with `raw`) to rank 1 and exits at once with `process.exit(0)`
 * (`Deno.exit(0)` with `deno-exit`); rank 1 receives them all and prints how many arrived. With `warm`, the
 * ranks exchange one message first, so the connections are up before the burst.
 */
import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const args = new Set(process.argv.slice(2));
const count = 1000;
const raw = args.has("raw");
if (args.has("warm")) {
  if (comm.rank === 0) await comm.send("hi", 1, 1);
  else await comm.recv(0, 1);
}
if (comm.rank === 0) {
  for (let i = 0; i < count; i++) {
    if (raw) await comm.Send(new Float64Array(512).fill(i), 1, 2);
    else await comm.send({ i, text: "x".repeat(100) }, 1, 2);
  }
  // deno-lint-ignore no-explicit-any
  const deno = (globalThis as any).Deno;
  if (args.has("deno-exit") && deno) deno.exit(0);
  process.exit(0);
} else {
  let arrived = 0;
  for (let i = 0; i < count; i++) {
    if (raw) {
      const buffer = new Float64Array(512);
      await comm.Recv(buffer, 0, 2);
      if (buffer[511] === i) arrived++;
    } else {
      const value = await comm.recv(0, 2);
      if (value.i === i) arrived++;
    }
  }
  console.log(`arrived:${arrived}`);
}
