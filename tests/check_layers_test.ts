/**
 * `scripts/check_layers.ts`: one fixture per rule of the layer table, the leaf modules, `mod.ts`/`cli.ts`,
 * the import forms it must see (side-effect, dynamic, re-export), and the `Deno`/`Bun` globals; then the
 * repository itself.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkRepository, checkSource } from "../scripts/check_layers.ts";

/** The problems of a module at `file` whose only line is `line`. */
function problems(file: string, line: string): string[] {
  return checkSource(file, line);
}

function allowed(file: string, line: string): void {
  assert.deepEqual(problems(file, line), [], `${file}: ${line}`);
}

function refused(file: string, line: string, why: RegExp): void {
  const found = problems(file, line);
  assert.equal(found.length, 1, `${file}: ${line} gave ${JSON.stringify(found)}`);
  assert.match(found[0], why);
}

test("runtime imports nothing of the other layers", () => {
  allowed("lib/runtime/host.ts", `import { runtimeName } from "./detect.ts";`);
  refused(
    "lib/runtime/host.ts",
    `import { FrameKind } from "../wire/frame.ts";`,
    /runtime may not import wire/,
  );
  refused(
    "lib/runtime/host.ts",
    `import { Mesh } from "../transport/mesh.ts";`,
    /runtime may not import transport/,
  );
});

test("wire imports only runtime", () => {
  allowed("lib/wire/codec.ts", `import { nodeBuiltin } from "../runtime/host.ts";`);
  refused(
    "lib/wire/codec.ts",
    `import { Mesh } from "../transport/mesh.ts";`,
    /wire may not import transport/,
  );
});

test("transport imports only wire and runtime", () => {
  allowed("lib/transport/mesh.ts", `import { FrameKind } from "../wire/frame.ts";`);
  allowed("lib/transport/sockets.ts", `import * as denoNet from "../runtime/deno_net.ts";`);
  refused(
    "lib/transport/mesh.ts",
    `import { Engine } from "../p2p/engine.ts";`,
    /transport may not import p2p/,
  );
});

test("p2p imports transport and wire, no longer runtime", () => {
  allowed("lib/p2p/engine.ts", `import type { FrameSink } from "../transport/transport.ts";`);
  allowed("lib/p2p/engine.ts", `import { HEADER_SIZE } from "../wire/frame.ts";`);
  refused(
    "lib/p2p/engine.ts",
    `import { cpuCount } from "../runtime/host.ts";`,
    /p2p may not import runtime/,
  );
});

test("collectives import p2p and wire: no runtime, and no transport (shared memory is a port)", () => {
  allowed("lib/collectives/bcast.ts", `import type { Engine } from "../p2p/engine.ts";`);
  refused(
    "lib/collectives/shared.ts",
    `import { loadLibc } from "../runtime/libc.ts";`,
    /collectives may not import runtime/,
  );
  refused(
    "lib/collectives/shared.ts",
    `import { HostSharedMemory } from "../transport/shared_memory.ts";`,
    /collectives may not import transport/,
  );
});

test("bootstrap imports transport, wire and runtime, never comm", () => {
  allowed("lib/bootstrap/launcher.ts", `import { listenForPeers } from "../transport/endpoints.ts";`);
  allowed("lib/bootstrap/launcher.ts", `import { pid } from "../runtime/host.ts";`);
  refused(
    "lib/bootstrap/launcher.ts",
    `import { world } from "../comm/world.ts";`,
    /bootstrap may not import comm/,
  );
});

test("comm imports collectives, p2p and wire; world.ts and environment.ts a little more", () => {
  allowed("lib/comm/comm.ts", `import { barrier } from "../collectives/barrier.ts";`);
  refused(
    "lib/comm/comm.ts",
    `import { Mesh } from "../transport/mesh.ts";`,
    /comm may not import transport/,
  );
  refused("lib/comm/comm.ts", `import { pid } from "../runtime/host.ts";`, /comm may not import runtime/);
  allowed("lib/comm/world.ts", `import { openPeers } from "../transport/peers.ts";`);
  allowed("lib/comm/world.ts", `import { SingletonBootstrap } from "../bootstrap/singleton.ts";`);
  allowed("lib/comm/world.ts", `import { writeStderr } from "../runtime/host.ts";`);
  refused(
    "lib/comm/world.ts",
    `import { loadLibc } from "../runtime/libc.ts";`,
    /comm\/world\.ts may import only runtime\/host\.ts of runtime/,
  );
  allowed("lib/comm/environment.ts", `import { runtimeName } from "../runtime/detect.ts";`);
  refused(
    "lib/comm/environment.ts",
    `import { pid } from "../runtime/host.ts";`,
    /may import only runtime\/detect\.ts of runtime/,
  );
});

test("the launcher uses only the rendezvous protocol, host lists and Slurm node lookups of bootstrap", () => {
  allowed("lib/launch/coordinator.ts", `import { decodeControl } from "../bootstrap/protocol.ts";`);
  allowed("lib/launch/spawn_slurm.ts", `import { expandHostlist } from "../bootstrap/hostlist.ts";`);
  allowed("lib/launch/spawn_slurm.ts", `import { commandOutput } from "../bootstrap/slurm_nodes.ts";`);
  refused(
    "lib/launch/main.ts",
    `import { LauncherBootstrap } from "../bootstrap/launcher.ts";`,
    /may import only bootstrap\/protocol\.ts, bootstrap\/hostlist\.ts, bootstrap\/slurm_nodes\.ts of bootstrap/,
  );
  refused("lib/launch/main.ts", `import { Engine } from "../p2p/engine.ts";`, /launch may not import p2p/);
});

test("nothing in lib/ imports mod.ts or cli.ts; the entry points import their own layer", () => {
  refused(
    "lib/comm/comm.ts",
    `import { MPI } from "../../mod.ts";`,
    /nothing in lib\/ imports mod\.ts or cli\.ts/,
  );
  allowed("mod.ts", `export { Comm } from "./lib/comm/api.ts";`);
  refused("mod.ts", `import { run } from "./lib/launch/main.ts";`, /mod\.ts may not import launch/);
  allowed("cli.ts", `import { run } from "./lib/launch/main.ts";`);
  allowed("main_binary.ts", `import "./mod.ts";`);
});

test("every layer may import the leaf modules, which import nothing", () => {
  allowed("lib/runtime/host.ts", `import { EnvName } from "../env.ts";`);
  allowed("lib/wire/codec.ts", `import { mpiError } from "../errors.ts";`);
  allowed("lib/env.ts", `import { readEnv } from "./env.ts";`); // a doc example importing its own module
  refused("lib/env.ts", `import { pid } from "./runtime/host.ts";`, /env\.ts is a leaf module/);
  refused("lib/errors.ts", `import { ANY_SOURCE } from "./constants.ts";`, /errors\.ts is a leaf module/);
});

test("side-effect imports, dynamic imports and re-exports are seen", () => {
  refused("lib/runtime/host.ts", `import "../wire/frame.ts";`, /runtime may not import wire/);
  refused("lib/runtime/host.ts", `const m = await import("../p2p/engine.ts");`, /runtime may not import p2p/);
  refused("lib/p2p/engine.ts", `export { pid } from "../runtime/host.ts";`, /p2p may not import runtime/);
  refused("lib/p2p/engine.ts", `export * from "../runtime/host.ts";`, /p2p may not import runtime/);
  allowed("lib/p2p/engine.ts", `import "node:process";`); // not a module of the project
});

test("the Deno and Bun globals appear only in runtime/ and env.ts", () => {
  allowed("lib/runtime/deno_net.ts", `const listener = Deno.listen({ port: 0 });`);
  allowed("lib/env.ts", `const env = globals.Deno?.env;`);
  refused("lib/p2p/engine.ts", `Deno.exit(1);`, /lib\/p2p\/engine\.ts:1 uses the Deno global/);
  refused("lib/transport/mesh.ts", `const socket = await Bun.connect(options);`, /uses the Bun global/);
  refused("lib/comm/world.ts", `const exit = (globalThis as any).Deno?.exit;`, /uses the Deno global/);
  refused("cli.ts", `Deno.exit(1);`, /cli\.ts:1 uses the Deno global/);
  // Comments may name them: `Deno.exit` in a sentence is no use of the global.
  allowed(
    "lib/comm/world.ts",
    `// a script that calls Deno.exit skips beforeunload\n/** Bun.connect is faster */`,
  );
  allowed("lib/comm/world.ts", `const DenoLike = 1; const x = myDeno.exit;`);
});

test("the repository keeps its layers", () => {
  assert.deepEqual(checkRepository(fileURLToPath(new URL("../", import.meta.url))), []);
});
