/**
 * What every fault fixture does first: print this rank's pid (the driver checks that no rank outlives the
 * launcher), connect to every other rank (so that a death is seen by all), then print `ready`.
 */
import process from "node:process";
import { MPI } from "../../mod.ts";

/** The world of the fixture. */
export const comm = MPI.COMM_WORLD;

/** Prints `pid:N`, exchanges one message with every other rank, prints `ready`. */
export async function ready(): Promise<void> {
  console.log(`pid:${process.pid}`);
  const others = Array.from({ length: comm.size }, (_, rank) => rank).filter((rank) => rank !== comm.rank);
  await Promise.all(others.map((peer) => comm.send(comm.rank, peer, 1)));
  for (const peer of others) await comm.recv(peer, 1);
  console.log("ready");
}

/** Prints the time (ms since the epoch) this rank starts to fail, for the driver's 2-second bound. */
export function failing(): void {
  console.log(`failing at:${Date.now()}`);
}
