import { test } from "node:test";
import assert from "node:assert/strict";
import { pack, unpack } from "../../lib/collectives/bundle.ts";
import { ErrorCode, MPIError } from "../../lib/errors.ts";

test("pack then unpack gives the blocks back, empty ones included, as views of the bundle", () => {
  const blocks = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
  const bundle = pack(blocks);
  assert.equal(bundle.length, 4 + 4 * 3 + 303);
  const back = unpack(bundle, "gather");
  assert.deepStrictEqual(back.map((block) => [...block]), blocks.map((block) => [...block]));
  assert.equal(back[2].buffer, bundle.buffer, "no copies");
  assert.deepStrictEqual(unpack(pack([]), "gather"), []);
});

test("unpack reads a bundle at any offset of a larger buffer", () => {
  const bundle = pack([new Uint8Array([9, 8])]);
  const inside = new Uint8Array(bundle.length + 3);
  inside.set(bundle, 3);
  assert.deepStrictEqual([...unpack(inside.subarray(3), "scatter")[0]], [9, 8]);
});

test("a malformed bundle is an ERR_INTERN error naming the call", () => {
  const bundle = pack([new Uint8Array(4)]);
  for (
    const bad of [new Uint8Array(2), bundle.subarray(0, bundle.length - 1), new Uint8Array([...bundle, 0])]
  ) {
    assert.throws(
      () => unpack(bad, "Gatherv"),
      (error: unknown) =>
        error instanceof MPIError && error.code === ErrorCode.ERR_INTERN &&
        /^Gatherv: received a malformed bundle/.test(error.message),
    );
  }
});
