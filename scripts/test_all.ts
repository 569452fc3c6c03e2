/**
 * The whole test suite, as `deno task test` (and `npm test`) runs it: every test under Deno, the JSDoc examples,
 * every test under Bun, then the SPMD and example suites again through the compiled binary. Prints one closing line,
 * `N passed, N failed`, and exits non-zero if anything failed.
 *
 * ```sh
 * deno task test            # everything
 * deno task test deno       # only the named suites: deno, doc, bun, binary
 * ```
 *
 * @module
 */

import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { counts, failures } from "./test_output.ts";
import { sharedMemoryNames } from "../tests/_helpers/shared_regions.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));
const bin = (name: string) => path.join(repo, "node_modules", ".bin", name);

/** One suite: a command and how to read its counts. */
interface Suite {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Runs before the suite (e.g. building the binary); a failure fails the suite. */
  before?: { command: string; args: string[] };
}

const suites: Suite[] = [
  { name: "deno", command: bin("deno"), args: ["test", "-A", "tests/"] },
  // The JSDoc examples of the public module and the library, which assert what they show.
  { name: "doc", command: bin("deno"), args: ["test", "-A", "--doc", "mod.ts", "lib/"] },
  { name: "bun", command: bin("bun"), args: ["test", "--timeout", "120000", "tests/"] },
  {
    name: "binary",
    before: { command: bin("deno"), args: ["run", "-A", "scripts/build_binary.ts"] },
    command: bin("deno"),
    args: [
      "test",
      "-A",
      "tests/spmd_test.ts",
      "tests/examples_test.ts",
      "tests/collectives/spmd_collectives_test.ts",
      "tests/collectives/examples_collectives_test.ts",
      "tests/comm/spmd_comm_test.ts",
      "tests/datatypes/spmd_datatypes_test.ts",
      "tests/comm/spmd_topology_test.ts",
      "tests/comm/spmd_api_more_test.ts",
      "tests/review_launch_test.ts",
      "tests/cluster/",
      "tests/review_data_test.ts",
      "tests/review_liveness_test.ts",
      "tests/module_identity_test.ts",
      "tests/npm_package_test.ts",
      "tests/launcher/",
      "tests/observe/",
    ],
    env: { MPIRUN_DENO_TEST_LAUNCHER: "binary" },
  },
];

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      target.write(chunk);
    };
    child.stdout.on("data", forward(process.stdout));
    child.stderr.on("data", forward(process.stderr));
    child.on("error", (error) => resolve({ code: 127, output: `${output}\n${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

const wanted = process.argv.slice(2);
let passed = 0;
let failed = 0;
const lines: string[] = [];
for (const suite of suites) {
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
  console.error(`\n=== ${suite.name} ===`);
  if (suite.before) {
    const built = await run(suite.before.command, suite.before.args);
    if (built.code !== 0) {
      failed++;
      lines.push(`${suite.name}: preparation failed (exit ${built.code})`);
      continue;
    }
  }
  const namedBefore = new Set(sharedMemoryNames());
  const { code, output } = await run(suite.command, suite.args, suite.env);
  const result = counts(output);
  // Shared regions have no names (see lib/transport/shared_memory.ts): a name of ours appearing fails the suite.
  const leftovers = sharedMemoryNames().filter((name) => !namedBefore.has(name));
  if (leftovers.length > 0) result.failed++;
  // A runner that failed without reporting a failed test (a crash, a load error) still counts as a failure.
  if (code !== 0 && result.failed === 0) result.failed = 1;
  passed += result.passed;
  failed += result.failed;
  lines.push(`${suite.name}: ${result.passed} passed, ${result.failed} failed (exit ${code})`);
  for (const { name, reason } of failures(output)) {
    lines.push(`  failed: ${name}`, ...reason.map((line) => `    ${line}`));
  }
  if (leftovers.length > 0) {
    lines.push(`  failed: left ${leftovers.length} names under /dev/shm: ${leftovers.join(" ")}`);
  }
}
console.log(`\n${lines.join("\n")}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
