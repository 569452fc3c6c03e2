import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { loadLibc } from "../../lib/runtime/libc.ts";
import { CrossMemory } from "../../lib/transport/cross_memory.ts";
import { CLAIMED, IDLE, ShareClaims, SKIPPED, WRITTEN } from "../../lib/p2p/share_claims.ts";

const libc = loadLibc();
const ownPid = (globalThis as { Deno?: { pid: number } }).Deno?.pid ?? process.pid;

test("a shared copy's first half is copied by exactly one side, whoever comes first", {
  skip: libc === undefined && "no C library through FFI here",
}, () => {
  // Both sides in this process, through real process_vm_readv/writev on its own memory.
  const direct = new CrossMemory(libc!);
  const sender = new ShareClaims();
  const receiver = new ShareClaims();
  // The sender comes first: it claims, and the receiver then sees it writing, or done.
  const first = sender.take()!;
  assert.equal(sender.claim(first), true);
  assert.equal(receiver.revoke(direct, ownPid, sender.addressOf(first, direct)), CLAIMED);
  sender.finish(first, true);
  assert.equal(receiver.revoke(direct, ownPid, sender.addressOf(first, direct)), WRITTEN);
  // The receiver comes first: it sees the sender idle, and the sender's claim then fails.
  const second = sender.take()!;
  assert.notEqual(second, first);
  assert.equal(receiver.revoke(direct, ownPid, sender.addressOf(second, direct)), IDLE);
  assert.equal(sender.claim(second), false);
  assert.equal(sender.state(second), SKIPPED);
  // A slot given back comes back reset.
  sender.release(second);
  assert.equal(sender.take(), second);
  assert.equal(sender.claim(second), true);
  // Words that cannot be reached (no such process): undefined, and the answer decides.
  assert.equal(receiver.revoke(direct, 2 ** 22 + 1, sender.addressOf(second, direct)), undefined);
});
