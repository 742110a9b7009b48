"""The one timing rule both benchmarks use."""
import statistics
import time


def median_interleaved(fns, syncs, repeat):
    """Median seconds per call of each fn after 3 warm-up calls. The fns alternate call by
    call, so machine noise falls on all of them alike; ``syncs[k]()`` waits for fn k's device
    work (a no-op on the CPU) before each clock reading."""
    for fn, sync in zip(fns, syncs):
        for _ in range(3):
            fn()
        sync()
    samples = [[] for _ in fns]
    for _ in range(repeat):
        for k, (fn, sync) in enumerate(zip(fns, syncs)):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            samples[k].append(time.perf_counter() - t0)
    return [statistics.median(s) for s in samples]
