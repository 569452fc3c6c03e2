"""mpi4py twin of coll.ts: barrier, bcast of a small object, Bcast and Allreduce (SUM) on float64 arrays of
1, 1 K and 1 M elements; the slowest rank's microseconds per call."""

import numpy as np
from mpi4py import MPI

from measure import ARGS, FIRST_SECOND, WARMUP_SECONDS, emit

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
only, reps, quick = ARGS


def timed(iterations, call):
    comm.Barrier()
    start = MPI.Wtime()
    for _ in range(iterations):
        call()
    mine = (MPI.Wtime() - start) * 1e6 / iterations
    return comm.allreduce(mine, op=MPI.MAX)


def run(name, iterations, call):
    if not only.search(name):
        return
    count = max(2, iterations >> 3) if quick else iterations
    start = MPI.Wtime()
    first_second = []
    while True:
        began = MPI.Wtime() - start
        time = timed(max(1, count >> 2), call)
        if began < FIRST_SECOND:
            first_second.append(time)
        if not comm.bcast(MPI.Wtime() - start < WARMUP_SECONDS, 0):
            break
    samples = [timed(count, call) for _ in range(reps)]
    if rank == 0:
        emit(name, size, "us", samples)
        emit(f"{name}/first-second", size, "us", first_second)


ELEMENTS = [("1", 1, 1000), ("1K", 1024, 500), ("1M", 1 << 20, 10)]

run("barrier", 1000, comm.Barrier)
run("bcast/value-small", 1000, lambda: comm.bcast({"x": 1, "y": 2.0} if rank == 0 else None, 0))
for name, count, iterations in ELEMENTS:
    buf = np.full(count, rank, dtype=np.float64)
    run(f"bcast/f64-{name}", iterations, lambda: comm.Bcast(buf, 0))
for name, count, iterations in ELEMENTS:
    send = np.full(count, rank + 1, dtype=np.float64)
    recv = np.zeros(count, dtype=np.float64)
    run(f"allreduce/f64-{name}", iterations, lambda: comm.Allreduce(send, recv, MPI.SUM))
