import { test } from "node:test";
import assert from "node:assert/strict";
import {
  binomialTree,
  blockOffsets,
  bruckRounds,
  ceilLog2,
  disseminationRounds,
  doublingPartners,
  fold,
  ring,
  unfold,
} from "../../lib/collectives/topology.ts";

const SIZES = Array.from({ length: 33 }, (_, i) => i + 1);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test("ceilLog2 counts the rounds of a doubling pattern", () => {
  assert.deepStrictEqual([1, 2, 3, 4, 5, 8, 9, 1024, 1025].map(ceilLog2), [0, 1, 2, 2, 3, 3, 4, 10, 11]);
});

test("binomialTree gives every rank but the root one parent, which lists it as a child", () => {
  for (const size of SIZES) {
    for (const root of range(size)) {
      const nodes = range(size).map((rank) => binomialTree(rank, size, root));
      assert.equal(nodes[root].parent, -1);
      assert.equal(nodes[root].subtree, size);
      for (const rank of range(size)) {
        if (rank === root) continue;
        const parent = nodes[rank].parent;
        assert.ok(
          nodes[parent].children.some((child) => child.rank === rank),
          `size ${size} root ${root} rank ${rank}`,
        );
      }
      const children = nodes.flatMap((node) => node.children.map((child) => child.rank)).sort((a, b) =>
        a - b
      );
      assert.deepStrictEqual(children, range(size).filter((rank) => rank !== root));
    }
  }
});

test("binomialTree subtrees are contiguous ranges of relative ranks, children nearest first", () => {
  for (const size of SIZES) {
    for (const root of [0, size - 1, Math.floor(size / 2)]) {
      for (const rank of range(size)) {
        const node = binomialTree(rank, size, root);
        assert.equal(node.relative, (rank - root + size) % size);
        let next = node.relative + 1;
        for (const child of node.children) {
          assert.equal(child.relative, next, "children cover the subtree in order");
          assert.equal(binomialTree(child.rank, size, root).subtree, child.subtree);
          next += child.subtree;
        }
        assert.equal(next, node.relative + node.subtree, "the children and the rank make up its subtree");
      }
    }
  }
});

test("a binomial broadcast reaches everyone in ceil(log2 p) rounds, the root sending that many messages", () => {
  for (const size of SIZES) {
    const nodes = range(size).map((rank) => binomialTree(rank, size, 0));
    const round = new Array<number>(size).fill(-1);
    round[0] = 0;
    const visit = (rank: number) => {
      // Largest subtree first, one message per round.
      [...nodes[rank].children].reverse().forEach((child, k) => {
        round[child.rank] = round[rank] + k + 1;
        visit(child.rank);
      });
    };
    visit(0);
    assert.equal(Math.max(...round), ceilLog2(size), `size ${size}`);
    assert.equal(nodes[0].children.length, ceilLog2(size));
    assert.deepStrictEqual(binomialTree(0, 5, 0).children.map((child) => child.rank), [1, 2, 4]);
    assert.equal(binomialTree(3, 5, 0).parent, 2);
  }
});

test("ring neighbours wrap around", () => {
  assert.deepStrictEqual(ring(0, 4), { left: 3, right: 1 });
  assert.deepStrictEqual(ring(3, 4), { left: 2, right: 0 });
  assert.deepStrictEqual(ring(0, 1), { left: 0, right: 0 });
});

test("fold leaves a power of two of ranks, numbered in rank order, and unfold inverts it", () => {
  for (const size of SIZES) {
    const folds = range(size).map((rank) => fold(rank, size));
    const { pof2, rem } = folds[0];
    assert.ok(pof2 <= size && pof2 * 2 > size && (pof2 & (pof2 - 1)) === 0);
    assert.equal(rem, size - pof2);
    const staying = range(size).filter((rank) => folds[rank].newRank >= 0);
    assert.equal(staying.length, pof2);
    staying.forEach((rank, i) => {
      assert.equal(folds[rank].newRank, i, "new numbers follow rank order");
      assert.equal(unfold(i, rem), rank);
    });
  }
});

test("doubling partners pair up symmetrically, round by round", () => {
  for (const size of SIZES) {
    const partners = range(size).map((rank) => doublingPartners(rank, size));
    for (const rank of range(size)) {
      partners[rank].forEach((partner, round) => assert.equal(partners[partner][round], rank));
    }
  }
  assert.deepStrictEqual(doublingPartners(0, 4), [1, 2]);
  assert.deepStrictEqual(doublingPartners(4, 5), [3, 2]);
  assert.deepStrictEqual(doublingPartners(0, 5), []);
});

test("dissemination rounds: ceil(log2 p) of them, each a permutation", () => {
  for (const size of SIZES) {
    const rounds = range(size).map((rank) => disseminationRounds(rank, size));
    for (let k = 0; k < ceilLog2(size); k++) {
      assert.deepStrictEqual(
        range(size).map((rank) => rounds[rank][k].to).sort((a, b) => a - b),
        range(size),
      );
      for (const rank of range(size)) assert.equal(rounds[rounds[rank][k].to][k].from, rank);
    }
    assert.ok(rounds.every((list) => list.length === ceilLog2(size)));
  }
});

test("Bruck rounds gather every block exactly once", () => {
  for (const size of SIZES) {
    for (const rank of range(size)) {
      // Simulate which ranks' blocks rank holds: it receives from `from` the first `count` blocks that `from` holds.
      let held = 1;
      for (const round of bruckRounds(rank, size)) {
        assert.equal(round.from, (rank + round.distance) % size);
        assert.equal(round.to, (rank - round.distance + size) % size);
        held += Math.min(round.distance, size - round.distance);
      }
      assert.equal(held, size);
    }
  }
});

test("blockOffsets splits evenly, the first blocks one larger", () => {
  assert.deepStrictEqual(blockOffsets(10, 4), [0, 3, 6, 8, 10]);
  assert.deepStrictEqual(blockOffsets(2, 4), [0, 1, 2, 2, 2]);
  assert.deepStrictEqual(blockOffsets(0, 3), [0, 0, 0, 0]);
  for (const parts of SIZES) {
    const offsets = blockOffsets(1000, parts);
    const sizes = range(parts).map((i) => offsets[i + 1] - offsets[i]);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    assert.equal(offsets[parts], 1000);
  }
});
