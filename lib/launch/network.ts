/**
 * Where a job listens when its ranks span hosts. On one machine everything stays on 127.0.0.1; across
 * hosts the coordinator and the ranks on this machine listen on an address the other hosts can reach:
 * `--bind-address`, else the IPv4 address of `--bind-to-interface`, else `MPIRUN_DENO_BIND_ADDRESS` in the
 * launcher's environment, else the local address of the route to the first remote host (what `ip route get`
 * says, or the address a TCP connection to it leaves from). Ranks on other hosts listen on the address they
 * reach the coordinator from, or on `--bind-to-interface` resolved on their own host.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { lookup } from "node:dns/promises";
import * as net from "node:net";
import { EnvName } from "../env.ts";

/** Where the coordinator and the ranks listen, and what the ranks dial. */
export interface NetworkPlan {
  /** Address the coordinator listens on. */
  listen: string;
  /** Address the ranks dial to reach the coordinator. */
  dial: string;
  /** `MPIRUN_DENO_BIND_ADDRESS` of the ranks on this machine; `undefined` leaves the inherited value. */
  localBind: string | undefined;
  /** For ranks on other hosts: the interface whose address they listen on (else the route's address). */
  remoteInterface: string | undefined;
}

/** What the plan depends on. */
export interface NetworkRequest {
  /** Do ranks run on other hosts (ssh, or Slurm)? */
  spansHosts: boolean;
  /** `--bind-address`, or the address of `--bind-to-interface` on this machine. */
  bindAddress: string | undefined;
  bindInterface: string | undefined;
  /** `MPIRUN_DENO_BIND_ADDRESS` of the launcher's environment. */
  envBindAddress: string | undefined;
  /** Finds this machine's address toward the other hosts; called only when nothing else decides it. */
  route: () => Promise<string | undefined>;
}

/** Thrown when no address the other hosts could reach is known; the message says what to pass. */
export class NoRouteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoRouteError";
  }
}

/** Is `address` a wildcard address (listen on every interface)? */
export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

/** The address ranks on this machine dial to reach a listener bound to `address`. */
export function dialable(address: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "::1";
  return address;
}

/**
 * Decides where a job listens.
 *
 * @example
 * ```ts
 * import { planNetwork } from "./network.ts";
 * const plan = await planNetwork({
 *   spansHosts: true, bindAddress: undefined, bindInterface: undefined, envBindAddress: undefined,
 *   route: () => Promise.resolve("10.0.0.1"),
 * });
 * console.log(plan.listen, plan.dial); // "10.0.0.1" "10.0.0.1"
 * ```
 */
export async function planNetwork(request: NetworkRequest): Promise<NetworkPlan> {
  const { bindAddress, envBindAddress } = request;
  if (!request.spansHosts) {
    const listen = bindAddress ?? "127.0.0.1";
    return {
      listen,
      dial: dialable(listen),
      localBind: bindAddress ?? (envBindAddress === undefined ? "127.0.0.1" : undefined),
      remoteInterface: undefined,
    };
  }
  const chosen = [bindAddress, envBindAddress].find((address) =>
    address !== undefined && !isWildcard(address)
  );
  const advertised = chosen ?? await request.route();
  if (advertised === undefined) {
    throw new NoRouteError(
      "Cannot tell which address of this machine the other hosts reach; " +
        "give it with --bind-address ADDR or --bind-to-interface IFACE",
    );
  }
  return {
    listen: bindAddress ?? advertised,
    dial: advertised,
    localBind: advertised,
    remoteInterface: request.bindInterface,
  };
}

/**
 * The environment of a rank on another host: it listens where it reaches the coordinator from (or on
 * `--bind-to-interface` of its own host), never on an address of the launcher's host.
 */
export function remoteRankEnvironment(
  env: Record<string, string>,
  plan: NetworkPlan,
): Record<string, string> {
  const out = { ...env };
  delete out[EnvName.BIND_ADDRESS];
  if (plan.remoteInterface !== undefined) out[EnvName.BIND_INTERFACE] = plan.remoteInterface;
  return out;
}

/** Reads `src ADDR` from the output of `ip route get`. */
export function parseRouteSource(text: string): string | undefined {
  const match = /\bsrc\s+(\S+)/.exec(text);
  return match && net.isIP(match[1]) !== 0 ? match[1] : undefined;
}

/** Reads the `hostname` and `port` that `ssh -G HOST` resolved for a host (aliases, `HostName`, `Port`). */
export function parseSshConfigDump(text: string): { hostname?: string; port?: number } {
  const out: { hostname?: string; port?: number } = {};
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/, 2);
    if (key === "hostname" && value) out.hostname = value;
    if (key === "port" && /^\d+$/.test(value ?? "")) out.port = Number(value);
  }
  return out;
}

/** The real host name and port ssh connects to for `host`, as the ssh command's own configuration says. */
export function sshDestination(ssh: readonly string[], host: string): { hostname: string; port: number } {
  const result = spawnSync(ssh[0], [...ssh.slice(1), "-G", host], { encoding: "utf8", timeout: 5000 });
  const dump = result.status === 0 ? parseSshConfigDump(result.stdout) : {};
  return { hostname: dump.hostname ?? host, port: dump.port ?? 22 };
}

/** The local address of the route to `ip`, from `ip route get` (Linux); `undefined` if that cannot tell. */
function routeSourceByIp(ip: string): string | undefined {
  try {
    const result = spawnSync("ip", ["route", "get", ip], { encoding: "utf8", timeout: 2000 });
    return result.status === 0 ? parseRouteSource(result.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** The local address of a TCP connection to `ip:port` (refused connections count: only the route matters). */
function routeSourceByConnect(ip: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (address: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(address);
    };
    socket.on("connect", () => finish(socket.localAddress));
    socket.on("error", () => finish(undefined));
  });
}

/**
 * This machine's address on the route to `host` (resolved first: a name, or an address), or `undefined`.
 * `port` is a port that host answers on, used only where `ip route get` is not available.
 */
export async function localAddressToward(host: string, port: number): Promise<string | undefined> {
  let ip: string;
  try {
    ip = net.isIP(host) !== 0 ? host : (await lookup(host, { family: 4 })).address;
  } catch {
    return undefined;
  }
  if (ip.startsWith("127.")) return "127.0.0.1";
  return routeSourceByIp(ip) ?? await routeSourceByConnect(ip, port, 3000);
}
