/**
 * The hosts a job may run on: `--host a:4,b:4` lists and hostfiles, in Open MPI's (`host slots=N`) and
 * MPICH's (`host:N`) notations. Pure: no I/O.
 *
 * @module
 */

/** A host and how many ranks it takes before it is full. */
export interface HostSlots {
  host: string;
  slots: number;
}

/** Raised for a malformed host list or hostfile; the message names the entry (the caller adds the flag). */
export class HostListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostListError";
  }
}

const HOST_NAME = /^[A-Za-z0-9_.\-]+$|^\[[0-9A-Fa-f:.]+\]$/;

function parseSlots(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new HostListError(`${what}: slots ${JSON.stringify(text)} is not a whole number of at least 1`);
  }
  return Number(text);
}

function checkHost(host: string, what: string): string {
  if (!HOST_NAME.test(host)) throw new HostListError(`${what}: ${JSON.stringify(host)} is not a host name`);
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/** Adds up the slots of hosts listed more than once, keeping the order of first appearance. */
export function mergeHosts(hosts: readonly HostSlots[]): HostSlots[] {
  const merged = new Map<string, number>();
  for (const { host, slots } of hosts) merged.set(host, (merged.get(host) ?? 0) + slots);
  return [...merged].map(([host, slots]) => ({ host, slots }));
}

/** Splits `host` or `host:N` (a bracketed IPv6 address may carry `:N` too). */
function splitHostSlots(entry: string, what: string): HostSlots {
  const match = /^(\[[^\]]*\]|[^:]+)(?::(.*))?$/.exec(entry);
  if (!match) throw new HostListError(`${what}: ${JSON.stringify(entry)} is not host or host:slots`);
  return {
    host: checkHost(match[1], what),
    slots: match[2] === undefined ? 1 : parseSlots(match[2], what),
  };
}

/**
 * Parses a `--host` value: comma-separated `host` or `host:slots` entries. A host without a count has one
 * slot, and a host named twice has the sum of its slots, as in Open MPI.
 *
 * @example
 * ```ts
 * import { parseHostList } from "./hostfile.ts";
 * console.log(parseHostList("a:4,b,a")); // [{ host: "a", slots: 5 }, { host: "b", slots: 1 }]
 * ```
 */
export function parseHostList(text: string): HostSlots[] {
  const entries = text.split(",").map((entry) => entry.trim());
  if (entries.some((entry) => entry === "")) {
    throw new HostListError(`${JSON.stringify(text)} has an empty host entry`);
  }
  return mergeHosts(entries.map((entry) => splitHostSlots(entry, JSON.stringify(entry))));
}

/**
 * Parses a hostfile: one host per line as `host`, `host slots=N [max_slots=M]` (Open MPI) or `host:N`
 * (MPICH); `#` starts a comment. `name` is used in messages (`hosts:3: ...`).
 *
 * @example
 * ```ts
 * import { parseHostfile } from "./hostfile.ts";
 * console.log(parseHostfile("node1 slots=4\nnode2:2  # MPICH style\n", "hosts"));
 * ```
 */
export function parseHostfile(text: string, name: string): HostSlots[] {
  const hosts: HostSlots[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].replace(/#.*/, "").trim();
    if (line === "") continue;
    const where = `${name}:${index + 1}`;
    const [first, ...attributes] = line.split(/\s+/);
    const entry = splitHostSlots(first, where);
    if (attributes.length > 0 && first.includes(":") && !first.startsWith("[")) {
      throw new HostListError(`${where}: give the slots as host:N or as slots=N, not both`);
    }
    for (const attribute of attributes) {
      const [key, value] = attribute.split("=", 2);
      if (value === undefined) {
        throw new HostListError(`${where}: ${JSON.stringify(attribute)} is not a key=value attribute`);
      }
      if (key === "slots" || key === "count") entry.slots = parseSlots(value, where);
      else if (key === "max_slots" || key === "max-slots") parseSlots(value, where);
      else throw new HostListError(`${where}: unknown attribute ${JSON.stringify(key)}`);
    }
    hosts.push(entry);
  }
  if (hosts.length === 0) throw new HostListError(`${name} lists no hosts`);
  return mergeHosts(hosts);
}

/**
 * The hosts of a PBS/Torque job from its `PBS_NODEFILE`: one host name per line, once per slot.
 *
 * @example
 * ```ts
 * import { parsePbsNodefile } from "./hostfile.ts";
 * console.log(parsePbsNodefile("n1\nn1\nn2\n", "nodes")); // [{ host: "n1", slots: 2 }, { host: "n2", slots: 1 }]
 * ```
 */
export function parsePbsNodefile(text: string, name: string): HostSlots[] {
  const hosts = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (hosts.length === 0) throw new HostListError(`${name} lists no hosts`);
  return mergeHosts(
    hosts.map((host, index) => ({ host: checkHost(host, `${name}:${index + 1}`), slots: 1 })),
  );
}

/**
 * The hosts of an LSF job: `LSB_MCPU_HOSTS` (`"n1 2 n2 4"`: host, slots, ...) or else `LSB_HOSTS` (`"n1 n1
 * n2"`: once per slot); `undefined` when neither is set.
 *
 * @example
 * ```ts
 * import { lsfHosts } from "./hostfile.ts";
 * console.log(lsfHosts({ LSB_MCPU_HOSTS: "n1 2 n2 1" })); // [{ host: "n1", slots: 2 }, { host: "n2", slots: 1 }]
 * ```
 */
export function lsfHosts(env: Record<string, string | undefined>): HostSlots[] | undefined {
  const mcpu = env.LSB_MCPU_HOSTS?.trim();
  if (mcpu) {
    const words = mcpu.split(/\s+/);
    if (words.length % 2 !== 0) {
      throw new HostListError(`LSB_MCPU_HOSTS=${JSON.stringify(mcpu)} is not pairs of host and slots`);
    }
    const hosts: HostSlots[] = [];
    for (let index = 0; index < words.length; index += 2) {
      hosts.push({
        host: checkHost(words[index], "LSB_MCPU_HOSTS"),
        slots: parseSlots(words[index + 1], "LSB_MCPU_HOSTS"),
      });
    }
    return mergeHosts(hosts);
  }
  const list = env.LSB_HOSTS?.trim();
  if (!list) return undefined;
  return mergeHosts(list.split(/\s+/).map((host) => ({ host: checkHost(host, "LSB_HOSTS"), slots: 1 })));
}
