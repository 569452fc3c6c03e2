/**
 * A rank started without a launcher (`deno run -A script.ts`): a world of one, as MPI's singleton init.
 *
 * @module
 */

import { pid, randomBytes } from "../runtime/host.ts";
import type { Bootstrap, Identity, Rendezvous } from "./bootstrap.ts";

/**
 * The singleton bootstrap: rank 0 of 1, no sockets.
 *
 * @example
 * ```ts
 * import { SingletonBootstrap } from "./singleton.ts";
 * const boot = new SingletonBootstrap("myhost");
 * console.log(boot.identity.size); // 1
 * ```
 */
export class SingletonBootstrap implements Bootstrap {
  readonly kind = "singleton";
  readonly identity: Identity;

  constructor(hostname: string) {
    this.identity = {
      rank: 0,
      size: 1,
      token: randomBytes(32),
      jobId: `singleton-${pid}`,
      hostname,
    };
  }

  rendezvous(): Promise<Rendezvous> {
    return Promise.resolve({
      peers: [{ host: "127.0.0.1", port: 0, hostname: this.identity.hostname, pid }],
      control: undefined,
    });
  }
}
