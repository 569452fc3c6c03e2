"""mpi4py twin of p2p.ts: ping-pong latency of objects (pickle) and numpy buffers, windowed streaming
bandwidth, and the CPU burnt by a rank waiting 1 s in recv."""

import os
import time

import numpy as np
from mpi4py import MPI

from measure import ARGS, SIZES, WARMUP_SECONDS, emit, iterations_for

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
assert comm.Get_size() == 2, "p2p benchmarks need 2 ranks"
only, reps, quick = ARGS
peer = 1 - rank
WINDOW = 64


def value_round_trips(value, iterations):
    comm.Barrier()
    start = MPI.Wtime()
    for _ in range(iterations):
        if rank == 0:
            comm.send(value, peer, 1)
            comm.recv(source=peer, tag=1)
        else:
            comm.send(comm.recv(source=peer, tag=1), peer, 1)
    return (MPI.Wtime() - start) * 1e6 / (2 * iterations)


def buffer_round_trips(buf, iterations):
    comm.Barrier()
    start = MPI.Wtime()
    for _ in range(iterations):
        if rank == 0:
            comm.Send(buf, peer, 1)
            comm.Recv(buf, peer, 1)
        else:
            comm.Recv(buf, peer, 1)
            comm.Send(buf, peer, 1)
    return (MPI.Wtime() - start) * 1e6 / (2 * iterations)


def streaming(buf, iterations):
    ack = np.zeros(4, dtype=np.uint8)
    comm.Barrier()
    start = MPI.Wtime()
    for _ in range(iterations):
        if rank == 0:
            MPI.Request.Waitall([comm.Isend(buf, peer, 2) for _ in range(WINDOW)])
            comm.Recv(ack, peer, 3)
        else:
            MPI.Request.Waitall([comm.Irecv(buf, peer, 2) for _ in range(WINDOW)])
            comm.Send(ack, peer, 3)
    seconds = MPI.Wtime() - start
    return buf.nbytes * WINDOW * iterations / seconds / 1e6


def run(name, unit, measure, warmups=1, repetitions=None):
    if not only.search(name):
        return
    if warmups:
        start, i = time.perf_counter(), 0
        while True:
            measure()
            i += 1
            if not comm.bcast(i < warmups or time.perf_counter() - start < WARMUP_SECONDS, 0):
                break
    samples = [measure() for _ in range(repetitions or reps)]
    if rank == 0:
        emit(name, 2, unit, samples)


def idle_wait():
    comm.Barrier()
    if rank == 0:
        time.sleep(1)
        comm.send(0, peer, 4)
        return comm.recv(source=peer, tag=5)
    before = os.times()
    start = time.perf_counter()
    comm.recv(source=peer, tag=4)
    after = os.times()
    used = (after.user - before.user) + (after.system - before.system)
    percent = used / (time.perf_counter() - start) * 100
    comm.send(percent, peer, 5)
    return percent


small = {"x": 1, "y": 2.0}
array1000 = [i + 0.5 for i in range(1000)]
run("latency/value-small", "us", lambda: value_round_trips(small, 200 if quick else 2000))
run("latency/value-array1000", "us", lambda: value_round_trips(array1000, 100 if quick else 500))
for name, nbytes in SIZES:
    buf = np.full(nbytes, rank + 1, dtype=np.uint8)
    run(f"latency/buf-{name}", "us", lambda: buffer_round_trips(buf, iterations_for(nbytes, quick)))
for name, nbytes in SIZES:
    buf = np.full(nbytes, rank + 1, dtype=np.uint8)
    windows = max(1, -(-iterations_for(nbytes, quick) // 20))
    run(f"bandwidth/buf-{name}", "MB/s", lambda: streaming(buf, windows))
run("idle-wait/cpu", "cpu%", idle_wait, warmups=0, repetitions=3)
