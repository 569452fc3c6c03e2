import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isModuleCopy, REMOTE_MODULE, rewriteRemoteImports } from "../../lib/runtime/module_alias.ts";

const rewrite = (source: string) => rewriteRemoteImports(source, "mpirun-deno", REMOTE_MODULE);

test("any http(s) URL whose path ends in /mod.ts is taken for the module", () => {
  for (
    const url of [
      "https://example.invalid/some/path/mod.ts",
      "http://127.0.0.1:8080/mod.ts",
      "https://raw.githubusercontent.com/org/mpirun-deno/v0.1.0/mod.ts",
      "https://example.com/x/mod.ts?v=1",
      "HTTPS://EXAMPLE.COM/MOD.TS",
    ]
  ) assert.ok(REMOTE_MODULE.test(url), url);
  for (
    const url of [
      "https://example.com/mod.tsx",
      "https://example.com/x/my_mod.ts",
      "https://example.com/x/mod.ts/other.ts",
      "file:///repo/mod.ts",
      "./mod.ts",
      "https://mod.ts",
    ]
  ) assert.ok(!REMOTE_MODULE.test(url), url);
});

test("static, re-export, side-effect and dynamic imports of the URL are rewritten", () => {
  const source = [
    `import { MPI } from "https://example.com/a/mod.ts";`,
    `import type { Comm } from 'https://example.com/b/mod.ts';`,
    `export * from "https://example.com/c/mod.ts";`,
    `import "https://example.com/d/mod.ts";`,
    `const m = await import( "https://example.com/e/mod.ts" );`,
    `import {\n  COMM_WORLD,\n} from\n  "https://example.com/f/mod.ts";`,
  ].join("\n");
  assert.equal(
    rewrite(source),
    [
      `import { MPI } from "mpirun-deno";`,
      `import type { Comm } from 'mpirun-deno';`,
      `export * from "mpirun-deno";`,
      `import "mpirun-deno";`,
      `const m = await import( "mpirun-deno" );`,
      `import {\n  COMM_WORLD,\n} from\n  "mpirun-deno";`,
    ].join("\n"),
  );
});

test("other URLs, strings and relative imports are left alone, and no line moves", () => {
  const source = [
    `import { join } from "https://example.com/std/path/join.ts";`,
    `import { helper } from "./mod.ts";`,
    `console.log("https://example.com/a/mod.ts");`,
    `const url = "https://example.com/a/mod.ts";`,
  ].join("\n");
  assert.equal(rewrite(source), source);
});

test("this repository's mod.ts is recognised as a copy of the module, and other mod.ts files are not", () => {
  const file = fileURLToPath(new URL("../../mod.ts", import.meta.url));
  assert.ok(isModuleCopy(file, fs.readFileSync(file, "utf8")));
  assert.ok(!isModuleCopy("/std/path/mod.ts", `export * from "./join.ts";`));
  assert.ok(!isModuleCopy("/app/api.ts", `export * as MPI from "./lib/comm/api.ts";`));
});
