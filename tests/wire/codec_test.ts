import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { pack, unpack } from "msgpackr";
import { decodeValue, type EncodeOptions, encodeValue } from "../../lib/wire/codec.ts";
import { ErrorCode, MPIError } from "../../lib/errors.ts";
import { assertMpiError } from "../_helpers/assert_mpi_error.ts";

function roundTrip(value: unknown): unknown {
  return decodeValue(encodeValue(value));
}

function assertRoundTrip(value: unknown): void {
  assert.deepStrictEqual(roundTrip(value), value);
}

function refusal(value: unknown, options: EncodeOptions = { where: "send" }): MPIError {
  try {
    encodeValue(value, options);
  } catch (error) {
    return assertMpiError(error, ErrorCode.ERR_TYPE);
  }
  assert.fail("encode did not refuse the value");
}

function decodeFailure(bytes: Uint8Array): MPIError {
  try {
    decodeValue(bytes);
  } catch (error) {
    return assertMpiError(error, ErrorCode.ERR_TYPE, /^decode: /);
  }
  assert.fail(`decode accepted ${bytes.length} malformed bytes`);
}

function nest(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

test("null, undefined and booleans round-trip", () => {
  for (const value of [null, undefined, true, false]) assert.equal(roundTrip(value), value);
  assert.deepEqual([...encodeValue(undefined)], [0xd4, 0x00, 0x00]);
  assert.deepStrictEqual(roundTrip({ a: undefined }), { a: undefined });
  assert.ok(Object.hasOwn(roundTrip({ a: undefined }) as object, "a"));
});

test("numbers use int formats within 32 bits and float64 for everything else", () => {
  const cases: [number, number][] = [
    [0, 0x00],
    [127, 0x7f],
    [128, 0xcc],
    [255, 0xcc],
    [256, 0xcd],
    [65535, 0xcd],
    [65536, 0xce],
    [2 ** 31 - 1, 0xce],
    [2 ** 31, 0xce],
    [2 ** 32 - 1, 0xce],
    [2 ** 32, 0xcb],
    [-1, 0xff],
    [-32, 0xe0],
    [-33, 0xd0],
    [-128, 0xd0],
    [-129, 0xd1],
    [-32768, 0xd1],
    [-32769, 0xd2],
    [-(2 ** 31), 0xd2],
    [-(2 ** 31) - 1, 0xcb],
    [1.5, 0xcb],
    [-0, 0xcb],
    [NaN, 0xcb],
    [Infinity, 0xcb],
    [-Infinity, 0xcb],
    [Number.MAX_SAFE_INTEGER, 0xcb],
    [2 ** 53 + 2, 0xcb],
    [-(2 ** 60), 0xcb],
    [Number.MAX_VALUE, 0xcb],
    [Number.MIN_VALUE, 0xcb],
  ];
  for (const [value, format] of cases) {
    const bytes = encodeValue(value);
    assert.equal(bytes[0], format, `format of ${value}`);
    const decoded = decodeValue(bytes);
    assert.equal(typeof decoded, "number");
    assert.ok(Object.is(decoded, value), `${value} came back as ${decoded}`);
  }
});

test("floats decode alike from small and large inputs, float32 included", () => {
  const floats = Array.from({ length: 1000 }, (_, i) => (i - 500) / 7);
  floats.push(-0, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE);
  assertRoundTrip(floats);
  for (const value of floats) assert.ok(Object.is(roundTrip(value), value));
  assert.equal(decodeValue(new Uint8Array([0xca, 0x3f, 0xc0, 0x00, 0x00])), 1.5);
  const manyFloat32 = new Uint8Array(3 + 5 * 200);
  manyFloat32.set([0xdc, 0, 200]);
  for (let i = 0; i < 200; i++) manyFloat32.set([0xca, 0xc0, 0x20, 0x00, 0x00], 3 + 5 * i);
  assert.deepStrictEqual(decodeValue(manyFloat32), new Array(200).fill(-2.5));
});

test("bigints use int64/uint64 in range and an extension beyond, at any size", () => {
  const formats: [bigint, number][] = [
    [0n, 0xd3],
    [-1n, 0xd3],
    [2n ** 63n - 1n, 0xd3],
    [-(2n ** 63n), 0xd3],
    [2n ** 63n, 0xcf],
    [2n ** 64n - 1n, 0xcf],
    [2n ** 64n, 0xc7],
    [-(2n ** 63n) - 1n, 0xc7],
  ];
  for (const [value, format] of formats) assert.equal(encodeValue(value)[0], format, `format of ${value}`);
  const values = formats.map(([value]) => value);
  for (let bits = 56; bits <= 200; bits++) {
    const power = 2n ** BigInt(bits);
    values.push(power, power - 1n, power + 1n, -power, -power - 1n, -power + 1n);
  }
  values.push(7n ** 5000n, -(7n ** 5000n), -(2n ** 4096n));
  for (const value of values) {
    const decoded = roundTrip(value);
    assert.equal(typeof decoded, "bigint");
    assert.equal(decoded, value);
  }
});

test("int64 and uint64 formats always decode as bigint", () => {
  assert.equal(decodeValue(new Uint8Array([0xd3, 0, 0, 0, 0, 0, 0, 0, 5])), 5n);
  assert.equal(decodeValue(new Uint8Array([0xcf, 0, 0, 0, 0, 0, 0, 0, 5])), 5n);
  assert.equal(decodeValue(new Uint8Array([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])), -2n);
});

test("strings round-trip as UTF-8 across every header size", () => {
  const cases: [string, number][] = [
    ["", 0xa0],
    ["a", 0xa1],
    ["x".repeat(31), 0xbf],
    ["x".repeat(32), 0xd9],
    ["x".repeat(63), 0xd9],
    ["x".repeat(64), 0xd9],
    ["x".repeat(255), 0xd9],
    ["x".repeat(256), 0xda],
    ["x".repeat(65535), 0xda],
    ["x".repeat(65536), 0xdb],
    ["é".repeat(15), 0xbe], // 30 bytes
    ["é".repeat(16), 0xd9], // 32 bytes: the ASCII-sized header grows
    ["✓".repeat(21), 0xd9],
    ["✓".repeat(100), 0xda], // 300 bytes from 100 units
    ["😀".repeat(20000), 0xdb], // 80 000 bytes from 40 000 units
  ];
  for (const [value, format] of cases) {
    const bytes = encodeValue(value);
    assert.equal(bytes[0], format, `format of a string of ${value.length} units`);
    assert.equal(decodeValue(bytes), value);
  }
  for (const value of ["héllo wörld ✓ 😀 日本語", "a\u0000b", "\u07ff\u0800\uffff", "x".repeat(70 * 1024)]) {
    assertRoundTrip(value);
  }
});

test("lone surrogates become U+FFFD in short and long strings alike", () => {
  assert.equal(roundTrip("a\ud800b"), "a\ufffdb");
  assert.equal(roundTrip("\udc00"), "\ufffd");
  assert.equal(roundTrip("end\ud83d"), "end\ufffd");
  assert.equal(roundTrip("y".repeat(100) + "\ud800"), "y".repeat(100) + "\ufffd");
});

test("arrays round-trip and holes come back as undefined", () => {
  assertRoundTrip([]);
  assertRoundTrip([1, "two", [3], { four: 4 }]);
  // deno-lint-ignore no-sparse-arrays
  assert.deepStrictEqual(roundTrip([1, , 3]), [1, undefined, 3]);
  assert.equal(encodeValue(new Array(16).fill(0))[0], 0xdc);
  const large = Array.from({ length: 70000 }, (_, i) => i);
  assert.equal(encodeValue(large)[0], 0xdd);
  assertRoundTrip(large);
});

test("plain objects round-trip as ordinary objects; symbol keys and non-enumerables are ignored", () => {
  assertRoundTrip({});
  assertRoundTrip({ a: 1, b: { c: [true, null] }, "key with spaces": "", "0": 0 });
  const wide = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]));
  assert.equal(encodeValue(wide)[0], 0xde);
  assertRoundTrip(wide);

  const bare = Object.create(null);
  bare.x = 1;
  const decoded = roundTrip(bare) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.deepStrictEqual(decoded, { x: 1 });

  const extras = { kept: 1, [Symbol("dropped")]: 2 };
  Object.defineProperty(extras, "hidden", { value: 3, enumerable: false });
  assert.deepStrictEqual(roundTrip(extras), { kept: 1 });
});

test("a __proto__ key decodes as an own property and pollutes nothing", () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
  const decoded = roundTrip(value) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.ok(Object.hasOwn(decoded, "__proto__"));
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, { polluted: true });
  assert.equal((decoded as { polluted?: unknown }).polluted, undefined);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

test("Map keeps keys of any type and Set keeps its elements", () => {
  const map = new Map<unknown, unknown>([
    [1, "one"],
    ["1", "string one"],
    [NaN, "nan"],
    [undefined, null],
    [null, undefined],
    [{ k: 1 }, [1]],
    [[1, 2], new Set([1])],
    [2n ** 70n, true],
  ]);
  const decoded = roundTrip(map);
  assert.ok(decoded instanceof Map);
  assert.deepStrictEqual(decoded, map);
  assertRoundTrip(new Map());
  assertRoundTrip(new Map(Array.from({ length: 300 }, (_, i) => [i, `v${i}`])));

  const set = new Set<unknown>([1, "1", { a: 1 }, [1], undefined, null, NaN, -0]);
  const decodedSet = roundTrip(set);
  assert.ok(decodedSet instanceof Set);
  assert.deepStrictEqual(decodedSet, set);
  assertRoundTrip(new Set());
  assertRoundTrip(new Set(Array.from({ length: 70000 }, (_, i) => i)));
});

test("Date uses the standard timestamp extension and round-trips invalid dates", () => {
  const formats: [number, number[]][] = [
    [1000, [0xd6, 0xff]], // timestamp 32
    [1001, [0xd7, 0xff]], // timestamp 64
    [2 ** 32 * 1000, [0xd7, 0xff]],
    [2 ** 34 * 1000, [0xc7, 12, 0xff]], // timestamp 96
    [-1, [0xc7, 12, 0xff]],
    [NaN, [0xd4, 0xff, 0xff]],
  ];
  for (const [time, prefix] of formats) {
    assert.deepEqual(
      [...encodeValue(new Date(time)).subarray(0, prefix.length)],
      prefix,
      `format of ${time}`,
    );
  }
  const times = [
    0,
    1,
    -1,
    -999,
    -1000,
    -1001,
    1_700_000_000_123,
    Date.UTC(1900, 0, 1, 0, 0, 0, 1),
    2 ** 34 * 1000 - 1,
    2 ** 34 * 1000,
    8.64e15,
    -8.64e15,
    NaN,
  ];
  for (const time of times) {
    const decoded = roundTrip(new Date(time));
    assert.ok(decoded instanceof Date);
    assert.ok(Object.is(decoded.getTime(), time), `${time} came back as ${decoded.getTime()}`);
  }
});

test("Uint8Array is bin and comes back as a fresh copy", () => {
  const backing = new Uint8Array(64).map((_, i) => i);
  const view = backing.subarray(3, 10);
  const bytes = encodeValue(view);
  assert.equal(bytes[0], 0xc4);
  assert.equal(bytes.length, 2 + 7);
  const decoded = decodeValue(bytes) as Uint8Array;
  assert.equal(Object.getPrototypeOf(decoded), Uint8Array.prototype);
  assert.deepStrictEqual(decoded, new Uint8Array([3, 4, 5, 6, 7, 8, 9]));
  assert.equal(decoded.byteOffset, 0);
  assert.equal(decoded.buffer.byteLength, 7);
  bytes.fill(0);
  assert.deepStrictEqual(decoded, new Uint8Array([3, 4, 5, 6, 7, 8, 9]));

  assert.equal(encodeValue(new Uint8Array(256))[0], 0xc5);
  assert.equal(encodeValue(new Uint8Array(65536))[0], 0xc6);
  assertRoundTrip(new Uint8Array(0));
  assertRoundTrip(new Uint8Array(70000).fill(7));
  assert.deepStrictEqual(roundTrip(Buffer.from([1, 2, 3])), new Uint8Array([1, 2, 3]));
});

test("every other typed array keeps its type and only its view's bytes, in a fresh aligned buffer", () => {
  const constructors: ({ new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView })[] = [
    Int8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ];
  const float16 = (globalThis as { Float16Array?: (typeof constructors)[number] }).Float16Array;
  if (float16) constructors.push(float16);
  for (const constructor of constructors) {
    const size = (constructor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const backing = new Uint8Array(128).map((_, i) => (i * 37 + 11) & 0xff);
    const offset = size === 1 ? 3 : size; // odd where the element size allows, never 0
    const view = new constructor(backing.buffer, offset, 5);
    const bytes = encodeValue(view);
    assert.ok(bytes.length <= 3 + 1 + 5 * size, `${constructor.name} wrote more than its view`);
    const decoded = decodeValue(bytes) as ArrayBufferView;
    assert.equal(Object.getPrototypeOf(decoded), constructor.prototype, constructor.name);
    assert.equal(decoded.byteOffset, 0);
    assert.equal(decoded.buffer.byteLength, 5 * size);
    assert.deepStrictEqual(
      new Uint8Array(decoded.buffer),
      backing.subarray(offset, offset + 5 * size),
      constructor.name,
    );
    assert.deepStrictEqual(decoded, view);
    assertRoundTrip(new constructor(new ArrayBuffer(0), 0, 0));
  }
  assertRoundTrip(new Float64Array(10000).map((_, i) => i / 3));
});

test("typed arrays decode aligned even when the input starts at an odd offset", () => {
  const value = { f: new Float64Array([1.5, -2.25, NaN]), i: new BigInt64Array([-(2n ** 63n), 7n]) };
  for (let headroom = 0; headroom < 8; headroom++) {
    const bytes = encodeValue(value, { headroom });
    const decoded = decodeValue(bytes.subarray(headroom)) as typeof value;
    assert.deepStrictEqual(decoded, value);
    assert.equal(decoded.f.byteOffset, 0);
  }
});

test("ArrayBuffer round-trips as ArrayBuffer", () => {
  const buffer = new Uint8Array([9, 8, 7, 6, 5]).buffer;
  const decoded = roundTrip(buffer);
  assert.ok(decoded instanceof ArrayBuffer);
  assert.deepStrictEqual(new Uint8Array(decoded), new Uint8Array([9, 8, 7, 6, 5]));
  const empty = roundTrip(new ArrayBuffer(0));
  assert.ok(empty instanceof ArrayBuffer);
  assert.equal(empty.byteLength, 0);
});

test("deeply mixed structures round-trip", () => {
  const value = [
    {
      step: 42,
      grid: new Map<unknown, unknown>([
        ["left", new Set([new Float64Array([1, 2, 3]), new Float64Array(0)])],
        [new Date(0), new Set([new Float64Array([NaN, -0, Infinity])])],
        [7n, new Map([[undefined, [new Int32Array([-1, 2 ** 31 - 1])]]])],
      ]),
      raw: new Uint8Array([1, 2]).buffer,
      nothing: [undefined, null],
    },
    "tail",
  ];
  assertRoundTrip(value);
});

test("nesting up to the depth limit round-trips", () => {
  assertRoundTrip(nest(512));
  assertRoundTrip([new Map([[1, new Set([nest(509)])]])]);
});

test("headroom is zeroed, reserved at the front, and each result is a fresh array", () => {
  const dirty = encodeValue("z".repeat(1000));
  const bytes = encodeValue({ x: 1 }, { headroom: 32 });
  assert.deepEqual([...bytes.subarray(0, 32)], new Array(32).fill(0));
  assert.deepStrictEqual(decodeValue(bytes.subarray(32)), { x: 1 });
  assert.notEqual(bytes.buffer, dirty.buffer);
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.length);
  assert.deepStrictEqual(decodeValue(encodeValue(null, { headroom: 0 })), null);
  assert.throws(() => encodeValue(1, { headroom: -1, where: "send" }), (error: unknown) => {
    assert.ok(error instanceof MPIError);
    assert.equal(error.code, ErrorCode.ERR_ARG);
    assert.equal(error.message, "send: headroom must be a non-negative integer, got -1");
    return true;
  });
});

test("encode refuses what has no plain form, naming the path and the type", () => {
  class Point {
    x = 1;
  }
  const cases: [unknown, string][] = [
    [{ a: [0, 1, 2, () => 3] }, "send: value.a[3] is a function, which cannot be sent"],
    [() => 1, "send: value is a function, which cannot be sent"],
    [[Symbol("s")], "send: value[0] is a symbol, which cannot be sent"],
    [{ p: new Point() }, "send: value.p is an instance of Point, which has no plain form to send"],
    [{ w: new WeakMap() }, "send: value.w is an instance of WeakMap, which has no plain form to send"],
    [
      { s: new Set([1, new WeakSet()]) },
      "send: value.s<set element> is an instance of WeakSet, which has no plain form to send",
    ],
    [Promise.resolve(1), "send: value is a Promise, which cannot be sent (await it first)"],
    [
      { view: new DataView(new ArrayBuffer(4)) },
      "send: value.view is a DataView, which cannot be sent (send a typed array or its ArrayBuffer instead)",
    ],
    [new Map([[() => 1, 1]]), "send: value<map key> is a function, which cannot be sent"],
    [new Map([["k", Symbol()]]), 'send: value.get("k") is a symbol, which cannot be sent'],
    [
      new Map([[3, [/x/]]]),
      "send: value.get(3)[0] is an instance of RegExp, which has no plain form to send",
    ],
    [{ "a b": { "0": Math.max } }, 'send: value["a b"]["0"] is a function, which cannot be sent'],
    [
      [1, Object.create({ greet() {} })],
      "send: value[1] is an object with a custom prototype, which has no plain form to send",
    ],
    [{ e: new Error("x") }, "send: value.e is an instance of Error, which has no plain form to send"],
    [{ n: new Number(1) }, "send: value.n is an instance of Number, which has no plain form to send"],
    [
      new SharedArrayBuffer(8),
      "send: value is an instance of SharedArrayBuffer, which has no plain form to send",
    ],
  ];
  for (const [value, message] of cases) assert.equal(refusal(value).message, message);
  assert.equal(refusal(Symbol.iterator, {}).message, "encode: value is a symbol, which cannot be sent");
});

test("encode refuses cycles and names where they close", () => {
  const self: Record<string, unknown> = { x: 1 };
  self.self = self;
  assert.equal(refusal(self).message, "send: value.self is a cycle back to value, which cannot be sent");

  const inner: { list: unknown[] } = { list: [] };
  inner.list.push(new Map([["back", inner]]));
  assert.equal(
    refusal({ root: inner }).message,
    'send: value.root.list[0].get("back") is a cycle back to value.root, which cannot be sent',
  );

  const set = new Set<unknown>();
  set.add([set]);
  assert.equal(
    refusal(set).message,
    "send: value<set element>[0] is a cycle back to value, which cannot be sent",
  );

  // Shared (acyclic) references are fine: they arrive as copies.
  const shared = { n: 1 };
  assert.deepStrictEqual(roundTrip([shared, shared]), [{ n: 1 }, { n: 1 }]);
});

test("encode refuses nesting deeper than the limit", () => {
  assert.equal(
    refusal(nest(513)).message,
    `send: value${"[0]".repeat(8)}...${
      "[0]".repeat(6)
    } is nested deeper than 512 levels, which cannot be sent`,
  );
});

test("a refused encode leaves the codec ready for the next value", () => {
  refusal({ big: "q".repeat(100000), bad: () => 1 });
  assert.deepStrictEqual(roundTrip({ ok: [1, 2] }), { ok: [1, 2] });
});

test("a getter that encodes while its object is being encoded gets its own buffer", () => {
  const value = {
    before: "b".repeat(50),
    get inner() {
      return decodeValue(encodeValue({ nested: "n".repeat(200) }));
    },
    after: [1, 2, 3],
  };
  assert.deepStrictEqual(roundTrip(value), {
    before: "b".repeat(50),
    inner: { nested: "n".repeat(200) },
    after: [1, 2, 3],
  });
});

/** Covers every format and extension the encoder writes. */
function sampleValue(): unknown {
  return {
    ints: [0, 127, 200, 60000, 2 ** 31, -1, -100, -30000, -(2 ** 31)],
    floats: [1.5, -0, NaN],
    big: [1n, 2n ** 63n, 2n ** 80n, -(2n ** 90n)],
    text: ["", "short", "é✓😀", "L".repeat(300)],
    flags: [true, false, null, undefined],
    when: [new Date(1000), new Date(1001), new Date(-1), new Date(NaN)],
    map: new Map<unknown, unknown>([[1, "a"], [{ k: 1 }, new Set([1, 2])]]),
    bytes: new Uint8Array([1, 2, 3]),
    floats64: new Float64Array([1, 2]),
    buffer: new ArrayBuffer(3),
  };
}

test("decode rejects input truncated at every length", () => {
  const bytes = encodeValue(sampleValue());
  assert.deepStrictEqual(decodeValue(bytes), sampleValue());
  for (let length = 0; length < bytes.length; length++) decodeFailure(bytes.subarray(0, length));
  assert.equal(
    decodeFailure(new Uint8Array(0)).message,
    "decode: input ends at offset 0 in the middle of a value",
  );
});

test("decode rejects trailing bytes, unknown bytes and malformed payloads", () => {
  const cases: [number[], string][] = [
    [[0x01, 0x02], "decode: 1 trailing byte after the value at offset 1"],
    [[0xc1], "decode: byte 0xc1 at offset 0 is not a MessagePack value"],
    [[0xd4, 0x10, 0x00], "decode: extension type 16 at offset 1 is not one this codec reads"],
    [[0xd4, 0x00, 0x01], "decode: extension type 0 at offset 1 has a malformed payload of 1 bytes"],
    [[0xa2, 0xff, 0xfe], "decode: string at offset 1 is not valid UTF-8"],
    [[0xc7, 4, 0x74, 8, 0, 0, 0], "decode: typed array at offset 2 has 3 bytes, not a multiple of 8"],
    [[0xd5, 0x74, 99, 0], "decode: typed array at offset 1 has unknown element type 99"],
    [[0xd5, 0x74, 17, 0], "decode: typed array at offset 1 has unknown element type 17"],
    [
      [0xd7, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0],
      "decode: timestamp at offset 1 has 1073741823 nanoseconds, more than a second",
    ],
    [[0xd4, 0xff, 0x00], "decode: timestamp at offset 1 has a malformed payload of 1 byte"],
    [[0xd5, 0x4d, 0x90, 0xc0], "decode: Map extension at offset 2 does not hold a map"],
    [[0xd5, 0x53, 0x90, 0xc0], "decode: 1 trailing byte after the value at offset 3"],
    [
      [0x81, 0x91, 0x01, 0x02],
      "decode: map key at offset 1 is not a string (decode a Map from its extension instead)",
    ],
    [[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0], "decode: input ends at offset 6 in the middle of a value"],
    [[0xdf, 0x7f, 0xff, 0xff, 0xff], "decode: input ends at offset 5 in the middle of a value"],
  ];
  for (const [bytes, message] of cases) {
    assert.equal(decodeFailure(new Uint8Array(bytes)).message, message);
  }
  assert.deepStrictEqual(decodeValue(new Uint8Array([0x81, 0x01, 0x02])), { "1": 2 });
  assert.ok(decodeValue(new Uint8Array([0xd6, 0xff, 0xff, 0xff, 0xff, 0xff])) instanceof Date);
});

test("decode refuses nesting past the limit instead of overflowing the stack", () => {
  const deep = new Uint8Array(100_001).fill(0x91);
  deep[100_000] = 0xc0;
  assert.match(decodeFailure(deep).message, /nested deeper than 512 levels/);
  assert.deepStrictEqual(decodeValue(encodeValue(nest(512))), nest(512));
});

test("decode refuses what is not a Uint8Array", () => {
  assert.equal(
    decodeFailure("abc" as unknown as Uint8Array).message,
    "decode: expected a Uint8Array, got string",
  );
  assert.equal(
    decodeFailure(new ArrayBuffer(1) as unknown as Uint8Array).message,
    "decode: expected a Uint8Array, got ArrayBuffer",
  );
});

test("decode of corrupted bytes either returns a value or throws MPIError", () => {
  const bytes = encodeValue(sampleValue());
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let round = 0; round < 3000; round++) {
    const corrupt = bytes.slice();
    const flips = 1 + Math.floor(random() * 3);
    for (let i = 0; i < flips; i++) {
      corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
    }
    try {
      decodeValue(corrupt);
    } catch (error) {
      assert.ok(error instanceof MPIError, `round ${round}: ${error}`);
      assert.equal(error.code, ErrorCode.ERR_TYPE);
    }
  }
});

/** JSON-like values both codecs must agree on. */
function jsonLikeValues(): unknown[] {
  return [
    null,
    true,
    false,
    0,
    1,
    -1,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2 ** 31 - 1,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -(2 ** 31),
    0.5,
    -1.25,
    Math.PI,
    1e300,
    -1e-300,
    "",
    "ascii",
    "héllo wörld ✓ 😀 日本語",
    "x".repeat(31),
    "x".repeat(32),
    "é".repeat(200),
    "a".repeat(70 * 1024),
    "ü✓😀".repeat(10 * 1024),
    [],
    [1, [2, [3, [4]]]],
    new Array(20).fill("item"),
    {},
    { a: 1, b: "two", c: [3, 4.5], d: { e: null, f: false } },
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i * 1000])),
    { nested: [{ deeper: [{ deepest: "ünïcödé" }] }], big: "z".repeat(70 * 1024) },
  ];
}

test("msgpackr reads what we write, for JSON-like values", () => {
  for (const value of jsonLikeValues()) assert.deepStrictEqual(unpack(encodeValue(value)), value);
});

test("we read what msgpackr writes, for JSON-like values", () => {
  for (const value of jsonLikeValues()) assert.deepStrictEqual(decodeValue(pack(value)), value);
});

test("msgpackr reads our undefined, dates, big bigints, typed arrays and ArrayBuffers", () => {
  const value = {
    u: undefined,
    d: new Date(1_700_000_000_123),
    b: -(2n ** 100n),
    f: new Float64Array([1.5, 2.5]),
    i: new Int16Array([-2, 3]),
  };
  assert.deepStrictEqual(unpack(encodeValue(value)), value);
  const buffer = unpack(encodeValue(new Uint8Array([4, 5]).buffer));
  assert.ok(buffer instanceof ArrayBuffer);
  assert.deepStrictEqual(new Uint8Array(buffer), new Uint8Array([4, 5]));
});
