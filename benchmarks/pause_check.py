"""Why `timing.median_interleaved` rests before each timed step: one workload's minigen and
PyTorch steps alternated back to back (rest 0) and with timing.PAUSE_S of rest before each
(the protocol since 2026-12-04), both protocols alternated in one process.

    OMP_NUM_THREADS=2 python benchmarks/pause_check.py dcgan --batch 64 [--repeat 6] [--threads 2]

A thread pool spins for a while after its last call: OpenBLAS's workers after minigen's last
GEMM, PyTorch's OpenMP workers after its last op. Back to back, each library's step shares the
cores with the other's spinning threads; the rest lets both pools fall asleep first.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from timing import PAUSE_S, machine, set_threads  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", help="a name of `run.py --workload`")
    parser.add_argument("--batch", type=int, default=None, help="default: the workload's default batch")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import torch
    import workloads
    from minigen import allocator
    allocator.keep_freed_memory()
    torch.set_num_threads(args.threads)
    batch = args.batch or workloads.default_batch(args.workload)
    work = workloads.build(args.workload, batch, "cpu", torch)
    fns = {"minigen": work.ours, "PyTorch": work.theirs}
    for fn in fns.values():
        for _ in range(3):
            fn()
    samples = {(name, rest): [] for name in fns for rest in (0.0, PAUSE_S)}
    for _ in range(args.repeat):
        for rest in (0.0, PAUSE_S):
            for name, fn in fns.items():
                time.sleep(rest)
                t0 = time.perf_counter()
                fn()
                samples[name, rest].append(time.perf_counter() - t0)
    ms = {k: statistics.median(v) * 1e3 for k, v in samples.items()}
    print(f"# {args.workload}, batch {batch}, threads {args.threads}, median of {args.repeat}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}; {machine('cpu')}, torch {torch.__version__}")
    print("| rest before each step | minigen ms | PyTorch ms | ratio |")
    print("| ---: | ---: | ---: | ---: |")
    for rest in (0.0, PAUSE_S):
        m, t = ms["minigen", rest], ms["PyTorch", rest]
        print(f"| {rest:g} s | {m:.1f} | {t:.1f} | {m / t:.2f}x |")


if __name__ == "__main__":
    main()
