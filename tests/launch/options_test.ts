import assert from "node:assert/strict";
import { test } from "node:test";
import {
  helpText,
  OPTION_SPECS,
  resolveOptions,
  scanCommandLine,
  UsageError,
  type ValidationContext,
} from "../../lib/launch/options.ts";

/** A world with /work/app.ts, /work/data/ and a hostfile, and HOME set. */
function context(files: Record<string, string> = {}): ValidationContext {
  const all: Record<string, string> = { "/work/app.ts": "", "/work/hosts": "a slots=2\nb:2\n", ...files };
  return {
    cwd: "/work",
    env: { HOME: "/home/me" },
    kindOf: (path) =>
      path in all ? "file" : ["/work", "/work/data", "/tmp"].includes(path) ? "directory" : undefined,
    readText: (path) => all[path],
  };
}

function resolve(args: string[], files?: Record<string, string>) {
  return resolveOptions(scanCommandLine(args), context(files));
}

function rejects(args: string[], message: string | RegExp): void {
  assert.throws(() => resolve(args), (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

test("the first non-option argument is the script and everything after it is the script's", () => {
  const options = resolve(["-n", "3", "--tag-output", "app.ts", "-n", "9", "--tag-output", "--", "x"]);
  assert.equal(options.np, 3);
  assert.equal(options.script, "/work/app.ts");
  assert.deepEqual(options.scriptArgs, ["-n", "9", "--tag-output", "--", "x"]);
  assert.equal(options.tagOutput, true);
});

test("-n, -np, --np, --np=N and -nN all set the number of ranks", () => {
  for (const args of [["-n", "4"], ["-np", "4"], ["--np", "4"], ["--np=4"], ["-n4"]]) {
    assert.equal(resolve([...args, "app.ts"]).np, 4, args.join(" "));
  }
});

test("-- ends the options, so a script may start with a dash", () => {
  const options = resolve(["-n", "1", "--", "app.ts", "--help"]);
  assert.equal(options.script, "/work/app.ts");
  assert.deepEqual(options.scriptArgs, ["--help"]);
});

test("defaults: one rank per slot, launcher's runtime and launcher, slot mapping, cwd", () => {
  const options = resolve(["app.ts"]);
  assert.equal(options.np, undefined);
  assert.equal(options.runtime, undefined);
  assert.equal(options.launcher, undefined);
  assert.equal(options.mapBy, "slot");
  assert.equal(options.wdir, "/work");
  assert.equal(options.hosts, undefined);
  assert.equal(options.outputDir, undefined);
  assert.equal(options.outputCopy, true);
  assert.equal(options.timeoutSeconds, undefined);
  assert.deepEqual(options.env, []);
});

test("every option parses into its typed field", () => {
  const options = resolve([
    "-np",
    "8",
    "--runtime",
    "bun",
    "--launcher=local",
    "--map-by",
    "node",
    "--oversubscribe",
    "--timestamp-output",
    "--output-filename",
    "out:nocopy",
    "-x",
    "HOME",
    "-x",
    "A=b=c",
    "--wdir",
    "data",
    "--timeout",
    "1.5",
    "--bind-address",
    "10.0.0.1",
    "-H",
    "a:2,b",
    "--host",
    "a",
    "app.ts",
  ]);
  assert.equal(options.np, 8);
  assert.equal(options.runtime, "bun");
  assert.equal(options.launcher, "local");
  assert.equal(options.mapBy, "node");
  assert.equal(options.oversubscribe, true);
  assert.equal(options.timestampOutput, true);
  assert.equal(options.outputDir, "/work/out");
  assert.equal(options.outputCopy, false);
  assert.deepEqual(options.env, [["HOME", "/home/me"], ["A", "b=c"]]);
  assert.equal(options.wdir, "/work/data");
  assert.equal(options.timeoutSeconds, 1.5);
  assert.equal(options.bindAddress, "10.0.0.1");
  assert.deepEqual(options.hosts, [{ host: "a", slots: 3 }, { host: "b", slots: 1 }]);
});

test("--hostfile reads Open MPI and MPICH lines", () => {
  const options = resolve(["--hostfile", "hosts", "app.ts"], {
    "/work/hosts": "# cluster\nnode1 slots=4 max_slots=8\nnode2:2   # MPICH\n\nnode3\nnode1 slots=1\n",
  });
  assert.deepEqual(options.hosts, [
    { host: "node1", slots: 5 },
    { host: "node2", slots: 2 },
    { host: "node3", slots: 1 },
  ]);
});

test("--help and --version are recognised before validation", () => {
  assert.equal(scanCommandLine(["--help"]).help, true);
  assert.equal(scanCommandLine(["-n", "0", "--version"]).version, true);
  assert.equal(scanCommandLine(["app.ts", "--help"]).help, false);
});

test("--help documents every option", () => {
  const help = helpText();
  for (const spec of OPTION_SPECS) {
    for (const name of spec.names) assert.ok(help.includes(name), `${name} is missing from --help`);
  }
});

test("usage errors name the flag and the value", () => {
  rejects(["-n", "0", "app.ts"], '-n: "0" is not a whole number of ranks of at least 1');
  rejects(["-np", "abc", "app.ts"], '-np: "abc" is not a whole number of ranks of at least 1');
  rejects(["-n", "-3", "app.ts"], '-n: "-3" is not a whole number of ranks of at least 1');
  rejects(["-n", "2.5", "app.ts"], '-n: "2.5" is not a whole number of ranks of at least 1');
  rejects(["--frobnicate", "app.ts"], 'Unknown option "--frobnicate"');
  rejects(["-q", "app.ts"], 'Unknown option "-q"');
  rejects(["-n"], "Option -n needs a value (N)");
  rejects(["--tag-output=yes", "app.ts"], 'Option --tag-output takes no value, got "--tag-output=yes"');
  rejects(["-n", "2"], "Missing the script to run");
  rejects([], "Missing the script to run");
  rejects(["-n", "2", "nope.ts"], 'Script "nope.ts" not found');
  rejects(["-n", "2", "data"], 'Script "data" is not a file');
  rejects(["--runtime", "node", "app.ts"], '--runtime: "node" is not one of deno, bun');
  rejects(["--launcher", "pbs", "app.ts"], '--launcher: "pbs" is not one of local, ssh, slurm');
  rejects(["--map-by", "socket", "app.ts"], '--map-by: "socket" is not one of slot, core, node');
  rejects(
    ["--map-by", "ppr:x:node", "app.ts"],
    '--map-by: "ppr:x:node" is not ppr:N:node (N ranks per node)',
  );
  rejects(["-N", "2", "--map-by", "ppr:3:node", "app.ts"], "-N 2 contradicts --map-by ppr:3:node");
  rejects(["--npernode", "0", "app.ts"], '--npernode: "0" is not a whole number of ranks of at least 1');
  rejects(["--bind-to", "socket", "app.ts"], '--bind-to: "socket" is not one of core, none');
  rejects(["--rank-by", "core", "app.ts"], '--rank-by: "core" is not one of slot, node');
  rejects(["--stdin", "some", "app.ts"], '--stdin: "some" is not a rank, all or none');
  rejects(["--hostfle", "h", "app.ts"], 'Unknown option "--hostfle"; did you mean --hostfile?');
  rejects(["--timeout", "0", "app.ts"], '--timeout: "0" is not a positive number of seconds');
  rejects(["--timeout", "soon", "app.ts"], '--timeout: "soon" is not a positive number of seconds');
  rejects(["--wdir", "nowhere", "app.ts"], '--wdir: "nowhere" is not a directory');
  rejects(
    ["--output-filename", "app.ts", "app.ts"],
    '--output-filename: "app.ts" exists and is not a directory',
  );
  rejects(["--output-filename", ":nocopy", "app.ts"], '--output-filename: ":nocopy" names no directory');
  rejects(["-x", "1X=2", "app.ts"], '-x: "1X=2" does not start with a variable name');
  rejects(["-x", "UNSET_VAR", "app.ts"], "-x: UNSET_VAR is not set in the launcher's environment");
  rejects(
    ["-x", "MPIRUN_DENO_TOKEN=00", "app.ts"],
    "-x: MPIRUN_DENO_TOKEN is set by the launcher for every rank and cannot be exported",
  );
  rejects(["--bind-address", "eth0", "app.ts"], '--bind-address: "eth0" is not an IP address');
  rejects(
    ["--bind-address", "10.0.0.1", "--bind-to-interface", "eth0", "app.ts"],
    "--bind-address and --bind-to-interface cannot be used together",
  );
});

test("host list and hostfile errors name the flag, the entry and the line", () => {
  rejects(["--host", "a:0", "app.ts"], '--host: "a:0": slots "0" is not a whole number of at least 1');
  rejects(["-H", "a,,b", "app.ts"], '-H: "a,,b" has an empty host entry');
  rejects(["--host", "a b", "app.ts"], '--host: "a b": "a b" is not a host name');
  rejects(["--hostfile", "missing", "app.ts"], '--hostfile: "missing" is not a readable file');
  rejects(["--host", "a", "--hostfile", "hosts", "app.ts"], "--host and --hostfile cannot be used together");
  assert.throws(
    () => resolve(["--hostfile", "hosts", "app.ts"], { "/work/hosts": "a slots=2\nb slots=x\n" }),
    { name: "UsageError", message: '--hostfile: hosts:2: slots "x" is not a whole number of at least 1' },
  );
  assert.throws(
    () => resolve(["--hostfile", "hosts", "app.ts"], { "/work/hosts": "a colour=red\n" }),
    { message: '--hostfile: hosts:1: unknown attribute "colour"' },
  );
  assert.throws(
    () => resolve(["--hostfile", "hosts", "app.ts"], { "/work/hosts": "# nothing\n" }),
    { message: "--hostfile: hosts lists no hosts" },
  );
});

test("script URLs are passed through without a file check", () => {
  assert.equal(resolve(["https://example.com/app.ts"]).script, "https://example.com/app.ts");
});
