"""Where one workload's training step spends its time, in minigen and in PyTorch.

    OMP_NUM_THREADS=1 python benchmarks/profile_step.py NAME [--batch B] [--steps 3] [--threads 1]
                                                        [--cprofile]

NAME is a workload of ``benchmarks/workloads`` (dcgan, cgan, wgan, wgan-gp, vae, cyclegan,
srgan-pixel, srgan, pix2pix, spade); --batch defaults to the model's. After 2 warm-up steps of
each, prints: minigen's ``mg.profile()`` table over --steps steps (self time per op type and
phase) and the share of the step spent outside any op (Python: modules, autograd bookkeeping,
optimizer loops); then PyTorch's ``torch.profiler`` table of the same steps (self CPU time per
aten op), so each op's time can be set against its PyTorch counterpart. Profiling adds its own
overhead to both; the step times printed beside the tables are from unprofiled steps.
--cprofile adds Python's cProfile of minigen's steps (self time per function), which looks
inside an op: a convolution's im2col, matrix product and col2im separately.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from timing import machine, median_interleaved, set_threads  # noqa: E402


def main(argv=None):
    import workloads
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=workloads.NAMES)
    parser.add_argument("--batch", type=int, default=None, help="default: the model's batch size")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=20, help="rows of each table")
    parser.add_argument("--cprofile", action="store_true", help="also cProfile minigen's steps")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import torch
    import minigen as mg
    from minigen import allocator
    mg.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    allocator.keep_freed_memory()   # as `minigen train` does
    batch = args.batch or workloads.default_batch(args.name)
    work = workloads.build(args.name, batch, torch=torch)
    ours_s, theirs_s = median_interleaved(work.fns(), work.syncs(), args.steps)   # includes 3 warm-up steps
    with mg.profile() as prof:
        t0 = time.perf_counter()
        for _ in range(args.steps):
            work.ours()
        wall = time.perf_counter() - t0
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as tprof:
        for _ in range(args.steps):
            work.theirs()
    print(f"# {args.name}, batch {batch}, threads {args.threads}, {args.steps} steps; {machine('cpu')}, "
          f"torch {torch.__version__}; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# unprofiled median step: minigen {ours_s * 1e3:.1f} ms, PyTorch {theirs_s * 1e3:.1f} ms "
          f"(ratio {ours_s / theirs_s:.2f}x)")
    outside = wall - prof.total
    print(f"\n## minigen, mg.profile(): {wall / args.steps * 1e3:.1f} ms per profiled step, of which "
          f"{prof.total / args.steps * 1e3:.1f} ms in ops and {outside / args.steps * 1e3:.1f} ms "
          f"({100 * outside / wall:.0f}%) outside them\n```\n{prof.table(args.rows)}\n```")
    if args.cprofile:
        import cProfile
        import io
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.steps):
            work.ours()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.rows)
        print(f"\n## minigen, cProfile (self time per function, {args.steps} steps)\n```\n"
              f"{out.getvalue().strip()}\n```")
    table = tprof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows)
    print(f"\n## PyTorch, torch.profiler (self CPU time, {args.steps} steps)\n```\n{table}\n```")


if __name__ == "__main__":
    main()
