import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { denoImportMap, stripJsonComments } from "../../lib/launch/module_map.ts";
import { tempDir } from "./_helpers.ts";

const LIB = "/opt/mpirun-deno/lib";

function decode(value: string): unknown {
  assert.ok(value.startsWith("data:application/json,"), value);
  return JSON.parse(decodeURIComponent(value.slice("data:application/json,".length)));
}

/** A project directory with `files`, and its app.ts in a subfolder. */
function project(files: Record<string, string>): { dir: string; script: string } {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "src", "app.ts"), "");
  return { dir, script: path.join(dir, "src", "app.ts") };
}

test("a script outside any Deno project gets the fixed rank import map", () => {
  const { dir, script } = project({});
  assert.equal(denoImportMap(script, LIB), path.join(LIB, "launch", "rank_import_map.json"));
  assert.equal(
    denoImportMap("https://example.com/app.ts", LIB),
    path.join(LIB, "launch", "rank_import_map.json"),
  );
  fs.rmSync(dir, { recursive: true });
});

test("a project's own imports are kept, made absolute, with mpirun-deno added", () => {
  const { dir, script } = project({
    "deno.json": JSON.stringify({
      imports: { "@std/assert": "jsr:@std/assert@^1", "utils/": "./src/utils/" },
      scopes: { "./vendor/": { "x": "../x.ts" } },
    }),
  });
  const base = pathToFileURL(path.join(dir, "deno.json"));
  assert.deepEqual(decode(denoImportMap(script, LIB)), {
    imports: {
      "mpirun-deno": "file:///opt/mpirun-deno/mod.ts",
      "@std/assert": "jsr:@std/assert@^1",
      "utils/": new URL("./src/utils/", base).href,
    },
    scopes: { [new URL("./vendor/", base).href]: { x: new URL("../x.ts", base).href } },
  });
  fs.rmSync(dir, { recursive: true });
});

test("deno.jsonc comments and an importMap file are honoured; a project's mpirun-deno goes to this copy", () => {
  const { dir, script } = project({
    "deno.jsonc": '{\n  // the map lives elsewhere\n  "importMap": "./map.json", /* trailing */\n}\n',
    "map.json": JSON.stringify({ imports: { "mpirun-deno": "https://example.com/mod.ts", "a": "./a.ts" } }),
  });
  assert.deepEqual(decode(denoImportMap(script, LIB)), {
    imports: {
      "mpirun-deno": "file:///opt/mpirun-deno/mod.ts",
      a: pathToFileURL(path.join(dir, "a.ts")).href,
    },
  });
  fs.rmSync(dir, { recursive: true });
});

test("a project config without imports keeps the fixed map", () => {
  const { dir, script } = project({ "deno.json": '{ "fmt": { "lineWidth": 100 } }' });
  assert.equal(denoImportMap(script, LIB), path.join(LIB, "launch", "rank_import_map.json"));
  fs.rmSync(dir, { recursive: true });
});

test("stripJsonComments leaves comment-like text inside strings alone", () => {
  const text = '{ "url": "https://x//y", /* c */ "s": "a/*b*/,}", // end\n "n": [1, 2,], }';
  assert.deepEqual(JSON.parse(stripJsonComments(text)), { url: "https://x//y", s: "a/*b*/,}", n: [1, 2] });
});

test("copies of the module named by the project's map or imported by address by its files go to this copy", () => {
  const { dir, script } = project({
    "deno.json": JSON.stringify({
      imports: { mpi: "https://example.com/v2/mod.ts", other: "https://x.org/a.ts" },
    }),
  });
  fs.writeFileSync(script, `import "./deps.ts";\nimport { z } from "https://x.org/z.ts";\n`);
  fs.writeFileSync(
    path.join(dir, "src", "deps.ts"),
    `export { MPI } from "https://cdn.example/mpi/mod.ts";\n`,
  );
  assert.deepEqual(decode(denoImportMap(script, LIB)), {
    imports: {
      mpi: "file:///opt/mpirun-deno/mod.ts",
      other: "https://x.org/a.ts",
      "mpirun-deno": "file:///opt/mpirun-deno/mod.ts",
      "https://cdn.example/mpi/mod.ts": "file:///opt/mpirun-deno/mod.ts",
    },
  });
  fs.rmSync(dir, { recursive: true });
});

test("a script outside any project that imports the module by URL gets a map for that URL", () => {
  const { dir, script } = project({});
  fs.writeFileSync(script, `import { MPI } from 'https://example.com/mod.ts?v=1';\n`);
  assert.deepEqual(decode(denoImportMap(script, LIB)), {
    imports: {
      "mpirun-deno": "file:///opt/mpirun-deno/mod.ts",
      "https://example.com/mod.ts?v=1": "file:///opt/mpirun-deno/mod.ts",
    },
  });
  fs.rmSync(dir, { recursive: true });
});
