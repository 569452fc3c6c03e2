/**
 * Rank 1 opens 600 connections to rank 0's TCP port and sends each a line of HTTP: rank 0 refuses them all,
 * and must say so in a few lines (the first whole, then a count per interval), not in 600. The job then waits
 * a little longer than the summary interval, so that the count is printed.
 */
import * as net from "node:net";
import { world } from "../../lib/comm/world.ts";
import { REFUSAL_SUMMARY_MS } from "../../lib/transport/refusals.ts";
import { comm, ready } from "./_rank.ts";

const STRANGERS = 600;
const AT_ONCE = 50;

/** Connects, sends garbage, resolves when rank 0 has closed the connection. */
function stranger(host: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3)));
    socket.on("data", () => {});
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
}

await ready();
if (comm.rank === 1) {
  const { host, port } = world.peers[0];
  for (let done = 0; done < STRANGERS; done += AT_ONCE) {
    await Promise.all(
      Array.from({ length: Math.min(AT_ONCE, STRANGERS - done) }, () => stranger(host, port)),
    );
  }
  console.log(`strangers:${STRANGERS}`);
}
await comm.barrier();
await new Promise((resolve) => setTimeout(resolve, REFUSAL_SUMMARY_MS + 500));
await comm.barrier();
