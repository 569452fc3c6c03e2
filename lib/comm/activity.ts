/**
 * What this rank is blocked in right now: every pending public call, with when it started. The launcher's
 * `--timeout` asks for it to print a hang report.
 *
 * @module
 */

/** One pending call. */
export interface Activity {
  label: string;
  since: number;
}

/**
 * The set of pending calls of this process.
 *
 * @example
 * ```ts
 * import { Activities } from "./activity.ts";
 * const activities = new Activities();
 * await activities.track("barrier() on COMM_WORLD", Promise.resolve());
 * console.log(activities.report(Date.now())); // []
 * ```
 */
export class Activities {
  #pending = new Set<Activity>();

  /** Records `label` until `promise` settles; returns `promise`. */
  track<T>(label: string, promise: Promise<T>): Promise<T> {
    const activity = { label, since: Date.now() };
    this.#pending.add(activity);
    const forget = () => this.#pending.delete(activity);
    promise.then(forget, forget);
    return promise;
  }

  /** One line per pending call, oldest first: `recv(source=0, tag=5) on COMM_WORLD for 30.0 s`. */
  report(now: number): string[] {
    return [...this.#pending]
      .sort((a, b) => a.since - b.since)
      .map((activity) => `${activity.label} for ${((now - activity.since) / 1000).toFixed(1)} s`);
  }
}
