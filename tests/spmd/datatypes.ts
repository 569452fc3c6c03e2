/**
 * SPMD check of derived datatypes in calls: halo columns by Sendrecv, a Fortran-order subarray, records of a
 * struct in a DataView, a short receive, truncation, Bsend, persistent sends and receives (Send_init,
 * Bsend_init, Recv_init) and Sendrecv_replace of a vector type, and the collectives Bcast, Gather, Allgather, Allreduce,
 * Scatterv and Alltoall with vector and subarray types; every result against what this rank computes alone,
 * and the elements a type skips left untouched.
 *
 * ```sh
 * mpirun-deno -n 4 tests/spmd/datatypes.ts
 * ```
 *
 * @module
 */

import { MPI, Request } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

/** A rows x cols row-major grid whose element (i, j) is `owner * 1e6 + i * cols + j`. */
function grid(rows: number, cols: number, owner: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, (_, k) => owner * 1e6 + k);
}

// --- Halo columns: column 1 of the left neighbour into column cols-1, by Sendrecv ----------------------------

for (const rows of [6, 3000]) { // 3000 rows: a 24 KB message, assembled where it lands
  const cols = 5;
  const column = MPI.DOUBLE.Create_vector(rows, 1, cols).Commit();
  const mine = grid(rows, cols, rank);
  const halo = new Float64Array(rows * cols).fill(-1);
  await comm.Sendrecv([mine.subarray(1), 1, column], right, 3, [halo.subarray(cols - 1), 1, column], left, 3);
  const expected = new Float64Array(rows * cols).fill(-1);
  for (let i = 0; i < rows; i++) expected[i * cols + cols - 1] = left * 1e6 + i * cols + 1;
  same(halo, expected, `halo column of ${rows} rows from rank ${left}`);
  column.Free();
}

// --- A Fortran-order subarray to a contiguous receive ---------------------------------------------------------

{
  // A 4 x 5 column-major array: (i, j) at i + 4j; the 2 x 3 block at (1, 2) goes as 6 doubles in that order.
  const block = MPI.DOUBLE.Create_subarray([4, 5], [2, 3], [1, 2], MPI.ORDER_FORTRAN).Commit();
  const array = grid(4, 5, rank);
  const sending = comm.Isend([array, 1, block], right, 4);
  const received = new Float64Array(6);
  await comm.Recv([received, MPI.DOUBLE], left, 4);
  await sending;
  same(Array.from(received), [9, 10, 13, 14, 17, 18].map((k) => left * 1e6 + k), "Fortran-order subarray");
  // And back into the same layout on the receiver: the rest of its array stays as it was.
  const into = new Float64Array(20).fill(-1);
  const echo = comm.Isend([received, 6, MPI.DOUBLE], left, 5);
  await comm.Irecv([into, 1, block], right, 5);
  await echo;
  const expected = new Float64Array(20).fill(-1);
  [9, 10, 13, 14, 17, 18].forEach((k) => expected[k] = rank * 1e6 + k);
  same(into, expected, "received into a Fortran-order subarray");
}

// --- Records of a struct with padding, in a DataView ----------------------------------------------------------

{
  // struct { int32 id; /* 4 bytes */ double value; int16 flag; /* 6 bytes */ }: 24 bytes each.
  const record = MPI.Datatype.Create_struct([1, 1, 1], [0, 8, 16], [MPI.INT32_T, MPI.DOUBLE, MPI.INT16_T])
    .Commit();
  const outgoing = new DataView(new ArrayBuffer(72));
  for (let r = 0; r < 3; r++) {
    outgoing.setInt32(r * 24, rank * 10 + r, true);
    outgoing.setFloat64(r * 24 + 8, rank + r / 4, true);
    outgoing.setInt16(r * 24 + 16, r - 5, true);
  }
  const incoming = new DataView(new Uint8Array(72).fill(0xee).buffer);
  const status = new MPI.Status();
  await comm.Sendrecv([outgoing, 3, record], right, 6, [incoming, record], left, 6, status);
  same(status.Get_count(), 3 * 14, "a record travels as its 14 bytes of data");
  same(status.Get_count(record), 3, "Get_count(record) counts records");
  same(status.Get_count(MPI.DOUBLE), MPI.UNDEFINED, "42 bytes are not whole doubles");
  for (let r = 0; r < 3; r++) {
    same(
      [
        incoming.getInt32(r * 24, true),
        incoming.getFloat64(r * 24 + 8, true),
        incoming.getInt16(r * 24 + 16, true),
      ],
      [left * 10 + r, left + r / 4, r - 5],
      `record ${r}`,
    );
    same(
      [incoming.getUint8(r * 24 + 4), incoming.getUint8(r * 24 + 20)],
      [0xee, 0xee],
      `padding of record ${r}`,
    );
  }
}

// --- A short receive fills only what arrived; a long one is ERR_TRUNCATE --------------------------------------

{
  const evens = MPI.INT.Create_vector(3, 1, 2).Commit();
  const into = new Int32Array(8).fill(-1);
  const sent = comm.Isend(Int32Array.of(rank, rank + 1), right, 7);
  await comm.Recv([into, 1, evens], left, 7);
  await sent;
  same(Array.from(into), [left, -1, left + 1, -1, -1, -1, -1, -1], "a short receive into a vector");
  const long = comm.Isend(new Int32Array(4), right, 8);
  await failsWith(
    () => comm.Recv([new Int32Array(8), 1, evens], left, 8),
    MPI.ErrorCode.ERR_TRUNCATE,
    /Recv: the message from rank \d+ \(tag 8\) has 16 bytes, more than the 12 bytes of the receive buffer/,
    "a message longer than the datatype",
  );
  await long;
  const uncommitted = MPI.INT.Create_vector(3, 1, 2);
  await failsWith(
    () => comm.Send([new Int32Array(8), 1, uncommitted], right, 9),
    MPI.ErrorCode.ERR_TYPE,
    /Send: buf's datatype \(a derived datatype\) is not committed/,
    "an uncommitted datatype",
  );
}

// --- Buffered, persistent and replacing sends of a datatype ----------------------------------------------------

{
  // The even elements of `mine` (a vector of 3), rank * 100 + 10 * round + i at element i.
  const evens = MPI.INT.Create_vector(3, 1, 2).Commit();
  const mine = new Int32Array(6);
  const fill = (round: number) => mine.set(Array.from({ length: 6 }, (_, i) => rank * 100 + 10 * round + i));
  const evensOf = (owner: number, round: number) => [0, 2, 4].map((i) => owner * 100 + 10 * round + i);
  MPI.Attach_buffer(new ArrayBuffer(4 * (64 + MPI.BSEND_OVERHEAD)));

  fill(0);
  await comm.Bsend([mine, 1, evens], right, 20);
  mine.fill(-5); // Bsend copied the elements: what arrives is what was there at the call.
  const got = new Int32Array(3);
  await comm.Recv(got, left, 20);
  same([...got], evensOf(left, 0), "Bsend of a vector");

  const into = new Int32Array(6);
  const buffered = new Int32Array(3);
  const requests = [
    comm.Recv_init([into, 1, evens], left, 21),
    comm.Recv_init(buffered, left, 22),
    comm.Send_init([mine, 1, evens], right, 21),
    comm.Bsend_init([mine, 1, evens], { dest: right, tag: 22 }),
  ];
  for (const round of [1, 2]) {
    fill(round);
    into.fill(-1);
    for (const request of requests) request.Start();
    await Request.waitall(requests);
    const [a, b, c] = evensOf(left, round);
    same([...into], [a, -1, b, -1, c, -1], `Send_init/Recv_init of a vector, round ${round}`);
    same([...buffered], [a, b, c], `Bsend_init of a vector, round ${round}`);
  }
  await MPI.Detach_buffer();

  fill(3);
  await comm.Sendrecv_replace([mine, 1, evens], right, 23, left, 23);
  const [a, b, c] = evensOf(left, 3);
  same(
    [...mine],
    [a, rank * 100 + 31, b, rank * 100 + 33, c, rank * 100 + 35],
    "Sendrecv_replace of a vector",
  );
  evens.Free();
}

// --- Collectives ----------------------------------------------------------------------------------------------

{
  // Bcast of a column of the root's grid; the other columns stay.
  const rows = 4, cols = 3;
  const column = MPI.DOUBLE.Create_vector(rows, 1, cols).Commit();
  for (let root = 0; root < size; root++) {
    const mine = rank === root ? grid(rows, cols, root) : new Float64Array(rows * cols).fill(-1);
    await comm.Bcast([mine.subarray(2), 1, column], root);
    const expected = rank === root ? grid(rows, cols, root) : new Float64Array(rows * cols).fill(-1);
    for (let i = 0; i < rows; i++) expected[i * cols + 2] = root * 1e6 + i * cols + 2;
    same(mine, expected, `Bcast of column 2 from root ${root}`);
  }
  column.Free();
}

{
  // Gather and Allgather of each rank's row into column `rank` of a (n x size) matrix: a transpose, by a
  // column type resized to one double so that consecutive elements are consecutive columns.
  const n = 3;
  const row = Float64Array.from({ length: n }, (_, i) => rank * 10 + i);
  const column = MPI.DOUBLE.Create_vector(n, 1, size).Create_resized(0, 8).Commit();
  const expected = new Float64Array(n * size);
  for (let r = 0; r < size; r++) for (let i = 0; i < n; i++) expected[i * size + r] = r * 10 + i;
  const matrix = new Float64Array(n * size);
  await comm.Allgather([row, MPI.DOUBLE], [matrix, size, column]);
  same(matrix, expected, "Allgather into columns");
  const root = size - 1;
  const gathered = new Float64Array(n * size).fill(-1);
  await comm.Gather(row, rank === root ? [gathered, size, column] : null, root);
  same(gathered, rank === root ? expected : new Float64Array(n * size).fill(-1), "Gather into columns");
  // Alltoall: column r of my matrix goes to rank r, which puts it in its column `rank`.
  const source = Float64Array.from({ length: n * size }, (_, k) => rank * 1000 + k);
  const swapped = new Float64Array(n * size);
  await comm.Alltoall([source, size, column], [swapped, size, column]);
  const transposed = new Float64Array(n * size);
  for (let r = 0; r < size; r++) {
    for (let i = 0; i < n; i++) transposed[i * size + r] = r * 1000 + i * size + rank;
  }
  same(swapped, transposed, "Alltoall of columns");
  column.Free();
}

{
  // Allreduce on the even elements only; the odd ones of recvbuf stay.
  const evens = MPI.DOUBLE.Create_vector(5, 1, 2).Commit();
  const send = Float64Array.from({ length: 10 }, (_, k) => rank + k);
  const recv = new Float64Array(10).fill(-1);
  await comm.Allreduce([send, 1, evens], [recv, 1, evens], MPI.SUM);
  const total = (k: number) => size * (size - 1) / 2 + size * k;
  same(
    Array.from(recv),
    Array.from({ length: 10 }, (_, k) => k % 2 === 0 ? total(k) : -1),
    "Allreduce on evens",
  );
  await comm.Allreduce(MPI.IN_PLACE, [send, 1, evens], MPI.MAX);
  same(
    Array.from(send),
    Array.from({ length: 10 }, (_, k) => k % 2 === 0 ? size - 1 + k : rank + k),
    "Allreduce IN_PLACE on evens",
  );
}

{
  // Scatterv of 2-element blocks of pairs (a pair: 2 ints, 3 ints apart), rank r getting r + 1 pairs.
  const pair = MPI.INT.Create_indexed_block(1, [0, 2]).Create_resized(0, 12).Commit(); // ints 0 and 2 of 3
  const counts = Array.from({ length: size }, (_, r) => r + 1);
  const displs = counts.map((_, r) => r * (r + 1) / 2);
  const total = counts.reduce((a, b) => a + b, 0);
  const source = Int32Array.from({ length: total * 3 }, (_, k) => k);
  const mine = new Int32Array(2 * (rank + 1));
  await comm.Scatterv(rank === 0 ? [source, counts, displs, pair] : null, mine, 0);
  const first = displs[rank] * 3;
  same(
    Array.from(mine),
    Array.from({ length: rank + 1 }, (_, p) => [first + 3 * p, first + 3 * p + 2]).flat(),
    "Scatterv of pairs",
  );
}

console.log(`datatypes ok on rank ${rank} of ${size}`);
