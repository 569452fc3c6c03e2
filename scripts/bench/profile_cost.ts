/**
 * What `--report` costs per call, without the network's noise: one process (a singleton world) sends 8
 * bytes to itself and receives them on COMM_SELF in a loop (`Send`/`Recv`; with `--values`, a small value
 * with `send`/`recv`), with the report's counting off and on (in separate processes, alternated), and prints
 * the time per send+recv pair and the difference. Multiply the difference by the calls of a ping-pong's half
 * round trip (one send and one recv per rank) to get the overhead on its latency.
 *
 * ```sh
 * deno run -A scripts/bench/profile_cost.ts [--runs 5] [--iterations 100000] [--values]
 * bun scripts/bench/profile_cost.ts
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "5" },
    iterations: { type: "string", default: "100000" },
    child: { type: "string" },
    values: { type: "boolean", default: false },
  },
});
const iterations = Number(values.iterations);

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** In a child: ns per send+recv pair, median of 5 rounds after a warm-up. */
async function measure(on: boolean): Promise<number> {
  const { MPI } = await import("../../mod.ts");
  if (on) {
    const { Profiler } = await import("../../lib/comm/profile.ts");
    new Profiler(0, MPI.COMM_WORLD.size).install(MPI.COMM_WORLD.job.engine);
  }
  const comm = MPI.COMM_SELF;
  const out = new Uint8Array(8);
  const into = new Uint8Array(8);
  const value = { x: 1 };
  const round = async () => {
    const start = performance.now();
    if (values.values) {
      for (let i = 0; i < iterations; i++) {
        const received = comm.recv(0, 1);
        await comm.send(value, 0, 1);
        await received;
      }
    } else {
      for (let i = 0; i < iterations; i++) {
        const received = comm.Recv(into, 0, 1);
        await comm.Send(out, 0, 1);
        await received;
      }
    }
    return (performance.now() - start) * 1e6 / iterations;
  };
  await round();
  const rounds: number[] = [];
  for (let i = 0; i < 5; i++) rounds.push(await round());
  return median(rounds);
}

if (values.child !== undefined) {
  console.log(JSON.stringify({ ns: await measure(values.child === "on") }));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const runtime = process.execPath;
const runtimeArgs = "Deno" in globalThis ? ["run", "-A", self] : [self];
const samples = { off: [] as number[], on: [] as number[] };
for (let run = 0; run < Number(values.runs); run++) {
  for (const mode of run % 2 === 0 ? ["off", "on"] as const : ["on", "off"] as const) {
    const args = [
      "--child",
      mode,
      "--iterations",
      String(iterations),
      ...(values.values ? ["--values"] : []),
    ];
    const child = spawnSync(runtime, [...runtimeArgs, ...args], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
    samples[mode].push(JSON.parse(child.stdout.trim().split("\n").at(-1)!).ns);
  }
}
const [off, on] = [median(samples.off), median(samples.on)];
console.log(
  `${values.values ? "send+recv of a small value" : "Send+Recv of 8 bytes"} on COMM_SELF, ` +
    `${values.runs} processes each way, medians: ` +
    `without ${off.toFixed(0)} ns, with --report's counting ${on.toFixed(0)} ns, ` +
    `difference ${(on - off).toFixed(0)} ns per pair`,
);
