"""The mpi4py tutorial's pi by the midpoint rule with a reduction: the twin of examples/pi_reduce.ts."""

import math

from mpi4py import MPI

t0 = MPI.Wtime()
comm = MPI.COMM_WORLD
nprocs, myrank = comm.Get_size(), comm.Get_rank()

nsteps = 10_000_000
dx = 1.0 / nsteps

ranges = None
if myrank == 0:
    ave, res = divmod(nsteps, nprocs)
    counts = [ave + 1 if p < res else ave for p in range(nprocs)]
    starts = [sum(counts[:p]) for p in range(nprocs)]
    ranges = [(starts[p], starts[p] + counts[p]) for p in range(nprocs)]
first, end = comm.scatter(ranges, root=0)

partial_pi = 0.0
for i in range(first, end):
    x = (i + 0.5) * dx
    partial_pi += 4.0 / (1.0 + x * x)
partial_pi *= dx

pi = comm.reduce(partial_pi, op=MPI.SUM, root=0)
if myrank == 0:
    error = abs(pi - math.pi)
    print(f"pi computed in {MPI.Wtime() - t0:.3f} sec")
    print(f"error is {error}")
    assert error < 1e-10
