/**
 * Slurm host lists: `n[01-04,07],login1` and friends, expanded in order. Pure.
 *
 * @module
 */

/**
 * Expands a Slurm host list expression into host names, in Slurm's order. Throws on malformed input, naming it.
 *
 * @example
 * ```ts
 * import { expandHostlist } from "./hostlist.ts";
 * console.log(expandHostlist("n[01-03,07],gpu[1-2]-ib"));
 * // ["n01", "n02", "n03", "n07", "gpu1-ib", "gpu2-ib"]
 * ```
 */
export function expandHostlist(expression: string): string[] {
  const hosts: string[] = [];
  for (const item of splitTopLevel(expression.trim())) {
    if (item === "") continue;
    hosts.push(...expandItem(item, expression));
  }
  return hosts;
}

/** Splits at commas that are not inside brackets. */
function splitTopLevel(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "[") depth++;
    else if (char === "]") depth--;
    else if (char === "," && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) throw new Error(`host list ${JSON.stringify(text)} has unbalanced brackets`);
  }
  if (depth !== 0) throw new Error(`host list ${JSON.stringify(text)} has unbalanced brackets`);
  items.push(text.slice(start));
  return items;
}

/** Expands one item, which may hold several bracket groups (`rack[1-2]n[1-3]`). */
function expandItem(item: string, whole: string): string[] {
  const open = item.indexOf("[");
  if (open < 0) return [item];
  const close = item.indexOf("]", open);
  const prefix = item.slice(0, open);
  const rest = expandItem(item.slice(close + 1), whole);
  const names: string[] = [];
  for (const range of item.slice(open + 1, close).split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
    if (!match) {
      throw new Error(`host list ${JSON.stringify(whole)} has a bad range ${JSON.stringify(range)}`);
    }
    const [, low, high = low] = match;
    const width = low.length;
    const from = Number(low);
    const to = Number(high);
    if (to < from) {
      throw new Error(`host list ${JSON.stringify(whole)} has a descending range ${JSON.stringify(range)}`);
    }
    for (let n = from; n <= to; n++) {
      const number = String(n).padStart(width, "0");
      for (const suffix of rest) names.push(prefix + number + suffix);
    }
  }
  return names;
}

/**
 * Expands Slurm's tasks-per-node expression (`SLURM_STEP_TASKS_PER_NODE`, e.g. `2(x3),1`) into one count per
 * node.
 *
 * @example
 * ```ts
 * import { expandTasksPerNode } from "./hostlist.ts";
 * console.log(expandTasksPerNode("2(x3),1")); // [2, 2, 2, 1]
 * ```
 */
export function expandTasksPerNode(expression: string): number[] {
  const counts: number[] = [];
  for (const part of expression.split(",")) {
    const match = /^(\d+)(?:\(x(\d+)\))?$/.exec(part.trim());
    if (!match) {
      throw new Error(`tasks per node ${JSON.stringify(expression)} has a bad part ${JSON.stringify(part)}`);
    }
    const repeat = Number(match[2] ?? 1);
    for (let i = 0; i < repeat; i++) counts.push(Number(match[1]));
  }
  return counts;
}
