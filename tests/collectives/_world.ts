/**
 * A communicator of `size` ranks inside one process, for running the collective algorithms on the memory
 * mesh: every rank's engine, its collective sequence, and every frame that crossed.
 */

import { type Channel, Collectives, type Run, type Shape } from "../../lib/collectives/channel.ts";
import { FrameKind } from "../../lib/wire/frame.ts";
import { memoryEngines, type SentFrame } from "../_helpers/memory_mesh.ts";

/** The collective context the memory world uses. */
export const CONTEXT = 1;

/** `size` ranks joined in memory. */
export class MemoryWorld {
  readonly size: number;
  readonly sent: SentFrame[];
  readonly #collectives: Collectives[];

  constructor(size: number) {
    const { engines, sent } = memoryEngines(size);
    const members = Array.from({ length: size }, (_, rank) => rank);
    this.size = size;
    this.sent = sent;
    this.#collectives = engines.map((engine, rank) =>
      new Collectives({ engine, members, rank, context: CONTEXT })
    );
  }

  /** Opens the next collective channel on every rank (`raw` may differ per rank, to test mismatches). */
  open(where: string, raw: boolean | boolean[] = true): Channel[] {
    return this.#collectives.map((collectives, rank) =>
      collectives.open(where, Array.isArray(raw) ? raw[rank] : raw)
    );
  }

  /** Runs `body` on every rank at once, each on its channel of one new collective call. */
  every<T>(body: (channel: Channel, rank: number) => Promise<T>, where = "test", raw = true): Promise<T[]> {
    return Promise.all(this.open(where, raw).map((channel, rank) => body(channel, rank)));
  }

  /**
   * Prepares a public collective on every rank (`prepare` gets the rank's shape; it is where argument checks
   * throw) and runs it.
   */
  run<T>(where: string, raw: boolean, prepare: (shape: Shape) => Run<T>): Promise<T[]> {
    const runs = Array.from({ length: this.size }, (_, rank) => prepare({ rank, size: this.size }));
    return Promise.all(this.open(where, raw).map((channel, rank) => runs[rank](channel)));
  }

  /** How many messages (eager or rendezvous) each rank sent since `from` (an index into `sent`). */
  messagesPerRank(from = 0): number[] {
    const counts = new Array<number>(this.size).fill(0);
    for (const frame of this.sent.slice(from)) {
      if (
        frame.header.context === CONTEXT &&
        (frame.header.kind === FrameKind.EAGER || frame.header.kind === FrameKind.RTS)
      ) {
        counts[frame.from]++;
      }
    }
    return counts;
  }
}
