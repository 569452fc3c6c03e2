/**
 * What this rank is blocked in right now: every pending public call, with when it started. The launcher's
 * `--timeout` asks for it to print a hang report. Labels are built only when a report is asked for: the
 * calls that are tracked are on the hot path of every message.
 *
 * @module
 */

import { COMPLETED } from "../p2p/completed.ts";

/** One pending call. */
export interface Activity {
  /** The call's description, or a function that makes it (called only for a report). */
  label: string | (() => string);
  since: number;
  /** Neighbours in the list of pending calls, oldest first. */
  older: Activity | undefined;
  newer: Activity | undefined;
}

/**
 * The set of pending calls of this process, kept as a list in the order they started: adding and removing
 * one costs no hashing, and a report reads it oldest first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Activities } from "./activity.ts";
 * const activities = new Activities();
 * await activities.track("barrier() on COMM_WORLD", Promise.resolve());
 * const pending = activities.begin(() => "recv(source=1, tag=5) on COMM_WORLD");
 * assert.deepEqual(activities.report(Date.now()), ["recv(source=1, tag=5) on COMM_WORLD for 0.0 s"]);
 * activities.end(pending);
 * ```
 */
export class Activities {
  #oldest: Activity | undefined;
  #newest: Activity | undefined;

  /** Records `label` as pending until {@linkcode Activities.end} is called with what this returns. */
  begin(label: string | (() => string)): Activity {
    return this.add({ label, since: 0, older: undefined, newer: undefined });
  }

  /**
   * Records `activity`, an object of the caller's (its `since` set here), as pending until
   * {@linkcode Activities.end}: a call that is its own activity allocates nothing more.
   */
  add<A extends Activity>(activity: A): A {
    activity.since = Date.now();
    activity.older = this.#newest;
    activity.newer = undefined;
    if (this.#newest) this.#newest.newer = activity;
    else this.#oldest = activity;
    this.#newest = activity;
    return activity;
  }

  /**
   * Notes that the call under way returns `promise`, which settles just after `activity` ends (the activity's
   * owner ends it as it settles the promise, as a receive does: see `ReceiveCompletion`); returns `promise`.
   * Nothing else: `--report` (`profile.ts`) patches this to time the call where the activity ends, without a
   * reaction of its own.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Activities, type Activity } from "./activity.ts";
   * const activities = new Activities();
   * const call: Activity = activities.begin("recv(source=1, tag=5) on COMM_WORLD");
   * const result = activities.settlesWith(call, Promise.resolve(3));
   * assert.equal(activities.report(Date.now()).length, 1);
   * activities.end(call); // the call's owner ends it as it settles the result
   * assert.equal(await result, 3);
   * assert.deepEqual(activities.report(Date.now()), []);
   * ```
   */
  settlesWith<T>(_activity: Activity, promise: Promise<T>): Promise<T> {
    return promise;
  }

  /** Ends an activity {@linkcode Activities.begin} started (again: nothing). */
  end(activity: Activity): void {
    const { older, newer } = activity;
    if (older === undefined && newer === undefined && this.#oldest !== activity) return;
    if (older) older.newer = newer;
    else this.#oldest = newer;
    if (newer) newer.older = older;
    else this.#newest = older;
    activity.older = activity.newer = undefined;
  }

  /**
   * Records `label` until `promise` settles; returns `promise`. The activity ends in the first reaction to
   * `promise`, before anything that awaits it runs.
   */
  track<T>(label: string | (() => string), promise: Promise<T>): Promise<T> {
    if (promise === COMPLETED) return promise; // a call that completed as it was made: nothing is pending
    const activity = this.begin(label);
    const end = () => this.end(activity);
    promise.then(end, end);
    return promise;
  }

  /** The activity begun last that has not ended (`--report` pairs it with the call that began it). */
  get newest(): Activity | undefined {
    return this.#newest;
  }

  /** One line per pending call, oldest first: `recv(source=0, tag=5) on COMM_WORLD for 30.0 s`. */
  report(now: number): string[] {
    const lines: string[] = [];
    for (let activity = this.#oldest; activity; activity = activity.newer) {
      const label = typeof activity.label === "string" ? activity.label : activity.label();
      lines.push(`${label} for ${((now - activity.since) / 1000).toFixed(1)} s`);
    }
    return lines;
  }
}
