"""The 2-D heat equation by Jacobi iterations with mpi4py and numpy: the twin of examples/heat2d.ts.

Same grid, edges, split of the grid over a Cartesian grid of ranks, halo exchange (rows contiguous, columns as
one element of a vector datatype, by Sendrecv), gather by subarray datatypes and check against one rank.

    mpiexec -n 4 python3 scripts/bench/heat2d.py 512 1000
"""

import sys

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
n = int(sys.argv[1]) if len(sys.argv) > 1 else 128
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 500
TOP = 100.0

dims = MPI.Compute_dims(comm.size, [0, 0])
cart = comm.Create_cart(dims, periods=[False, False])
north, south = cart.Shift(0, 1)
west, east = cart.Shift(1, 1)
row, col = cart.coords


def split(total, parts, index):
    base, extra = divmod(total, parts)
    return index * base + min(index, extra), base + (1 if index < extra else 0)


top, rows = split(n, dims[0], row)
left, cols = split(n, dims[1], col)


def solve(on, top, rows, cols, neighbours):
    width = cols + 2
    u = np.zeros((rows + 2, width))
    nxt = np.zeros((rows + 2, width))
    if top == 0:
        u[0, 1:-1] = TOP
        nxt[0, 1:-1] = TOP
    column = MPI.DOUBLE.Create_vector(rows, 1, width).Commit()
    up, down, w, e = neighbours
    for _ in range(iterations):
        flat = u.reshape(-1)
        on.Sendrecv([flat[width + 1:], cols, MPI.DOUBLE], up, 0,
                    [flat[(rows + 1) * width + 1:], cols, MPI.DOUBLE], down, 0)
        on.Sendrecv([flat[rows * width + 1:], cols, MPI.DOUBLE], down, 1,
                    [flat[1:], cols, MPI.DOUBLE], up, 1)
        on.Sendrecv([flat[width + 1:], 1, column], w, 2, [flat[width + cols + 1:], 1, column], e, 2)
        on.Sendrecv([flat[width + cols:], 1, column], e, 3, [flat[width:], 1, column], w, 3)
        nxt[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
        u, nxt = nxt, u
    column.Free()
    return u


comm.Barrier()
t0 = MPI.Wtime()
block = solve(cart, top, rows, cols, [north, south, west, east])
comm.Barrier()
seconds = MPI.Wtime() - t0

interior = MPI.DOUBLE.Create_subarray([rows + 2, cols + 2], [rows, cols], [1, 1]).Commit()
if comm.rank != 0:
    comm.Send([block, 1, interior], 0, 9)
else:
    grid = np.zeros((n, n))
    for source in range(comm.size):
        r, c = cart.Get_coords(source)
        t, h = split(n, dims[0], r)
        l, w = split(n, dims[1], c)
        place = MPI.DOUBLE.Create_subarray([n, n], [h, w], [t, l]).Commit()
        if source == 0:
            packed = np.zeros(h * w)
            interior.Pack(block, packed, 0, comm)
            place.Unpack(packed, 0, grid, comm)
        else:
            comm.Recv([grid, 1, place], source, 9)
        place.Free()
    whole = solve(MPI.COMM_SELF, 0, n, n, [MPI.PROC_NULL] * 4)
    max_error = float(np.max(np.abs(grid - whole[1:-1, 1:-1])))
    checksum = float(np.sum(grid))
    print(f"heat2d: {n} x {n} grid, {iterations} iterations on {comm.size} ranks ({dims[0]} x {dims[1]}): "
          f"checksum {checksum:.6f}, max error against one rank {max_error:g}, {seconds:.3f} s")
    if max_error != 0:
        sys.exit(1)
interior.Free()
