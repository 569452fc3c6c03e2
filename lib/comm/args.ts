/**
 * Checks of the public calls' arguments, with errors that name the call, the argument and the value.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, PROC_NULL, TAG_UB } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";

/** How a value shows in an error: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : `an instance of ${value.constructor?.name ?? "Object"}`;
}

/**
 * Why `value` is not a whole number, or `undefined` when it is one: `"1" is a string, not an integer`, so
 * that a rank or tag given as a string is not reported as "out of range".
 *
 * @example
 * ```ts
 * import { notAnInteger } from "./args.ts";
 * console.log(notAnInteger("1")); // '"1" is a string, not an integer'
 * console.log(notAnInteger(2.5)); // "2.5 is not an integer"
 * console.log(notAnInteger(3)); // undefined
 * ```
 */
export function notAnInteger(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? undefined : `${value} is not an integer`;
  if (value === undefined || value === null) return `${value} is not an integer`;
  const kind = Array.isArray(value)
    ? "an array"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`;
  return `${describeValue(value)} is ${kind}, not an integer`;
}

/** Checks a destination rank: 0..size-1 or PROC_NULL. */
export function checkDest(where: string, dest: unknown, size: number, argument = "dest"): number {
  if (dest === PROC_NULL) return PROC_NULL;
  const wrongType = notAnInteger(dest);
  if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_RANK, `${where}: ${argument} ${wrongType}`);
  if ((dest as number) < 0 || (dest as number) >= size) {
    throw mpiError(
      ErrorCode.ERR_RANK,
      `${where}: ${argument} ${dest} is out of range for a communicator of size ${size}`,
    );
  }
  return dest as number;
}

/** Checks a source rank: 0..size-1, ANY_SOURCE or PROC_NULL. */
export function checkSource(where: string, source: unknown, size: number, argument = "source"): number {
  if (source === ANY_SOURCE) return ANY_SOURCE;
  return checkDest(where, source, size, argument);
}

/** Checks a send tag: 0..TAG_UB. */
export function checkSendTag(where: string, tag: unknown, argument = "tag"): number {
  const wrongType = notAnInteger(tag);
  if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_TAG, `${where}: ${argument} ${wrongType}`);
  if ((tag as number) < 0 || (tag as number) > TAG_UB) {
    throw mpiError(ErrorCode.ERR_TAG, `${where}: ${argument} ${tag} is not in 0..${TAG_UB}`);
  }
  return tag as number;
}

/** Checks a receive tag: 0..TAG_UB or ANY_TAG. */
export function checkRecvTag(where: string, tag: unknown, argument = "tag"): number {
  if (tag === ANY_TAG) return ANY_TAG;
  const wrongType = notAnInteger(tag);
  if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_TAG, `${where}: ${argument} ${wrongType}`);
  if ((tag as number) < 0 || (tag as number) > TAG_UB) {
    throw mpiError(ErrorCode.ERR_TAG, `${where}: ${argument} ${tag} is not in 0..${TAG_UB} nor ANY_TAG`);
  }
  return tag as number;
}

/** Checks a root rank: 0..size-1. */
export function checkRoot(where: string, root: unknown, size: number): number {
  const wrongType = notAnInteger(root);
  if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_ROOT, `${where}: root ${wrongType}`);
  if ((root as number) < 0 || (root as number) >= size) {
    throw mpiError(
      ErrorCode.ERR_ROOT,
      `${where}: root ${root} is out of range for a communicator of size ${size}`,
    );
  }
  return root as number;
}

/** Is `value` a plain options object (not an array, a typed array or a class instance)? */
export function isOptions(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Normalises mpi4py-style positional parameters or one trailing options object into values by name.
 * `names` lists the trailing parameters in positional order; `args` are what the caller passed for them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namedArgs } from "./args.ts";
 * assert.deepEqual(namedArgs("send", ["dest", "tag"], [{ dest: 1, tag: 7 }]), { dest: 1, tag: 7 });
 * assert.deepEqual(namedArgs("send", ["dest", "tag"], [1]), { dest: 1, tag: undefined });
 * ```
 */
export function namedArgs(
  where: string,
  names: readonly string[],
  args: readonly unknown[],
): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  if (args.length === 1 && isOptions(args[0])) return fromOptions(where, names, args[0]);
  if (args.length > names.length) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: takes at most ${names.length} arguments after the data, got ${args.length}`,
    );
  }
  names.forEach((name, i) => named[name] = args[i]);
  return named;
}

/**
 * {@linkcode namedArgs} for a call given one trailing argument, `value`: the first of `names` positionally, or
 * an options object naming any of them. Makes no arrays (the collectives' `root` or `op`, on every call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namedArg } from "./args.ts";
 * assert.equal(namedArg("bcast", ["root", "signal"], 2).root, 2);
 * assert.equal(namedArg("bcast", ["root", "signal"], { root: 1 }).root, 1);
 * assert.equal(namedArg("bcast", ["root", "signal"], undefined).root, undefined);
 * ```
 */
export function namedArg(where: string, names: readonly string[], value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (isOptions(value)) return fromOptions(where, names, value);
  return { [names[0]]: value };
}

function fromOptions(
  where: string,
  names: readonly string[],
  options: Record<string, unknown>,
): Record<string, unknown> {
  for (const key of Object.keys(options)) {
    if (!names.includes(key)) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: unknown option ${JSON.stringify(key)} (expected ${names.join(", ")})`,
      );
    }
  }
  const named: Record<string, unknown> = {};
  for (const name of names) named[name] = options[name];
  return named;
}
