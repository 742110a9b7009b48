"""A/B of minigen.allocator.keep_freed_memory(): the DCGAN step with glibc's default memory
policy and with freed blocks kept, alternated step by step in one process (both frameworks).

    python benchmarks/allocator_ab.py [--batches 64,512] [--repeat 6] [--threads 2] [--torch]

Each round switches the policy, runs one untimed step (the heap settles into the new
policy) and times the next, so machine noise falls on both policies alike.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", default="64,512")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--torch", action="store_true", help="time PyTorch's step too")
    args = parser.parse_args(argv)
    bench.set_threads(args.threads)
    from minigen import allocator
    if not allocator.default_policy():
        sys.exit("allocator_ab: needs glibc (Linux); keep_freed_memory() does nothing here")
    if args.torch:
        import torch
        torch.set_num_threads(args.threads)
    ours = bench.MinigenSteps("cpu")
    theirs = bench.TorchSteps("cpu", ours) if args.torch else None
    print(f"# DCGAN step, ms (median of {args.repeat}), allocator policy alternated step by step, "
          f"threads={args.threads}, {time.strftime('%Y-%m-%d %H:%M')}")
    print("| framework | batch | glibc default | keep_freed_memory | after / before |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for batch in (int(b) for b in args.batches.split(",")):
        fns = bench.workload_fns("dcgan", batch, ours, theirs)
        for name, fn in zip(("minigen", "PyTorch"), fns):
            samples = {"default": [], "keep": []}
            fn()
            for _ in range(args.repeat):
                for policy in samples:
                    allocator.keep_freed_memory() if policy == "keep" else allocator.default_policy()
                    fn()
                    t0 = time.perf_counter()
                    fn()
                    samples[policy].append(time.perf_counter() - t0)
            before, after = (statistics.median(samples[k]) * 1e3 for k in ("default", "keep"))
            print(f"| {name} | {batch} | {before:.1f} | {after:.1f} | {after / before:.2f} |", flush=True)
    allocator.default_policy()


if __name__ == "__main__":
    main()
