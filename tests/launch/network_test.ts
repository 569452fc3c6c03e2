import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dialable,
  NoRouteError,
  parseRouteSource,
  parseSshConfigDump,
  planNetwork,
  remoteRankEnvironment,
} from "../../lib/launch/network.ts";

const request = {
  spansHosts: false,
  bindAddress: undefined,
  bindInterface: undefined,
  envBindAddress: undefined,
  route: () => Promise.reject(new Error("no route asked for")),
};

test("a job on one machine stays on 127.0.0.1", async () => {
  assert.deepEqual(await planNetwork(request), {
    listen: "127.0.0.1",
    dial: "127.0.0.1",
    localBind: "127.0.0.1",
    remoteInterface: undefined,
  });
  const inherited = await planNetwork({ ...request, envBindAddress: "10.1.1.1" });
  assert.equal(inherited.localBind, undefined, "the inherited MPIRUN_DENO_BIND_ADDRESS is left to the ranks");
  const wildcard = await planNetwork({ ...request, bindAddress: "0.0.0.0" });
  assert.deepEqual([wildcard.listen, wildcard.dial], ["0.0.0.0", "127.0.0.1"]);
});

test("across hosts the route's address is advertised unless an address is given", async () => {
  const routed = await planNetwork({
    ...request,
    spansHosts: true,
    route: () => Promise.resolve("10.0.0.5"),
  });
  assert.deepEqual(routed, {
    listen: "10.0.0.5",
    dial: "10.0.0.5",
    localBind: "10.0.0.5",
    remoteInterface: undefined,
  });
  const given = await planNetwork({
    ...request,
    spansHosts: true,
    bindAddress: "10.0.0.9",
    bindInterface: "eth1",
  });
  assert.deepEqual(given, {
    listen: "10.0.0.9",
    dial: "10.0.0.9",
    localBind: "10.0.0.9",
    remoteInterface: "eth1",
  });
  const fromEnv = await planNetwork({ ...request, spansHosts: true, envBindAddress: "10.0.0.7" });
  assert.equal(fromEnv.dial, "10.0.0.7");
});

test("across hosts a wildcard bind address listens everywhere and advertises the route's address", async () => {
  const plan = await planNetwork({
    ...request,
    spansHosts: true,
    bindAddress: "0.0.0.0",
    route: () => Promise.resolve("192.168.1.2"),
  });
  assert.deepEqual([plan.listen, plan.dial, plan.localBind], ["0.0.0.0", "192.168.1.2", "192.168.1.2"]);
});

test("without any address the other hosts could reach, the error says what to pass", async () => {
  await assert.rejects(
    planNetwork({ ...request, spansHosts: true, route: () => Promise.resolve(undefined) }),
    (error) =>
      error instanceof NoRouteError && /--bind-address ADDR or --bind-to-interface IFACE/.test(error.message),
  );
});

test("ranks on other hosts never get an address of the launcher's host", () => {
  const env = { MPIRUN_DENO_BIND_ADDRESS: "10.0.0.1", PATH: "/bin" };
  const plan = { listen: "10.0.0.1", dial: "10.0.0.1", localBind: "10.0.0.1", remoteInterface: "ib0" };
  assert.deepEqual(remoteRankEnvironment(env, plan), { PATH: "/bin", MPIRUN_DENO_BIND_INTERFACE: "ib0" });
  assert.deepEqual(remoteRankEnvironment(env, { ...plan, remoteInterface: undefined }), { PATH: "/bin" });
});

test("the route's source address and ssh's resolved host name are read from their tools' output", () => {
  assert.equal(parseRouteSource("10.213.7.12 dev mpd-br0 src 10.213.7.1 uid 0 \n    cache \n"), "10.213.7.1");
  assert.equal(parseRouteSource("local 127.0.0.1 dev lo src 127.0.0.1 uid 0"), "127.0.0.1");
  assert.equal(parseRouteSource("RTNETLINK answers: Network is unreachable"), undefined);
  assert.deepEqual(parseSshConfigDump("user root\nhostname 10.213.7.11\nport 2222\nbatchmode yes\n"), {
    hostname: "10.213.7.11",
    port: 2222,
  });
  assert.equal(dialable("0.0.0.0"), "127.0.0.1");
  assert.equal(dialable("::"), "::1");
});
