/**
 * Every rank connects to the others, then the last one computes for 20 s without yielding to its event loop
 * and the others wait in a barrier. The driver kills the launcher with SIGKILL meanwhile: every rank, the
 * computing one too, must die within 2 s.
 */
import { comm, ready } from "./_rank.ts";

const BUSY_MS = 20_000;

await ready();
if (comm.rank === comm.size - 1) {
  console.log("computing");
  const until = Date.now() + BUSY_MS;
  while (Date.now() < until) { /* computing, without yielding to the event loop */ }
}
await comm.barrier();
