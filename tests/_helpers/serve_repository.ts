/**
 * Serves the repository's files read-only over HTTP on 127.0.0.1, as a release would be served for
 * `import { MPI } from "https://.../mod.ts"`, and records every path asked for.
 *
 * @module
 */

import * as fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { REPO } from "./run_ranks.ts";

/** Media types Deno accepts for the files it fetches. */
const MEDIA_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
};

/** Serves the repository's files read-only on 127.0.0.1, and records every path asked for. */
export async function serveRepository(): Promise<{ server: Server; base: string; requested: string[] }> {
  const requested: string[] = [];
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    requested.push(pathname);
    const file = path.join(REPO, pathname);
    const inside = file.startsWith(REPO) && !file.includes(`${path.sep}node_modules${path.sep}`);
    if (request.method !== "GET" || !inside || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    const type = MEDIA_TYPES[path.extname(file)] ?? "application/octet-stream";
    response.writeHead(200, { "content-type": type }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, requested };
}
