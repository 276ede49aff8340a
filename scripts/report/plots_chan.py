"""plots_chan.py — channels, select and sync figures (issue 4): hand-off and
throughput, select, mutexes and wait groups, thread-ring and skynet on channels.

NAMES maps each figure to its benchmark names; edit it when the real
benchmarks land with other names. Each figure shows every parameter set and
implementation (gort, go, os/std baselines) found for those names.
"""
from __future__ import annotations

import figures as F
from runs import Run

SECTION = "Channels, select and sync"

NAMES = {
    "handoff": ["ChanPingPong", "OsChanPingPong"],   # ns per one-way hand-off, params procs; OS threads
    "throughput": ["ChanBuffered", "OsChanBuffered"],  # ns per element, cap 128, params pairs, procs
    "select": ["ChanSelect", "ChanSelectDefault"],  # params cases=2/4; default on an empty channel
    "sync": ["MutexUncontended", "StdMutexUncontended", "MutexContended", "StdMutexContended",
             "WaitGroupAddDoneWait", "WaitGroupJoin"],
    "ring": ["ChanThreadRing", "ChanSkynet"],       # ns per pass / per tree
}


def chan_handoff(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "chan_handoff", "Channel hand-off and buffered throughput",
                          NAMES["handoff"] + NAMES["throughput"])


def select_cost(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "select", "select: 2 and 4 ready cases, non-blocking default",
                          NAMES["select"])


def sync_cost(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "sync", "Mutex (uncontended, contended) and WaitGroup",
                          NAMES["sync"])


def ring_skynet(run: Run, outdir: str):
    return F.bars_or_skip(run, outdir, "threadring_skynet", "thread-ring (503 goroutines) and skynet on channels",
                          NAMES["ring"])


PLOTS = [chan_handoff, select_cost, sync_cost, ring_skynet]
