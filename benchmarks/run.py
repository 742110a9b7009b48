"""Training-step benchmarks: minigen against PyTorch, same networks, same process.

    python benchmarks/run.py [--device cpu|cuda] [--threads 2] [--torch] [--repeat 15]
                             [--batches 16,64,256,512] [--memory] [--profile] [--plot FILE]
                             [--allocator keep|default]
    python benchmarks/run.py --workload all|NAME[,NAME] [--scales 1,4,8] [same options]

Without --workload, the first table (the networks of the GAN and VAE issues):
  * dcgan: one discriminator update on a real and a fake batch, then one generator update
    (non-saturating BCE-with-logits losses, Adam 2e-4, betas (0.5, 0.999)), batch 64;
  * vae: one step of the convolutional VAE (sum BCE + KL, Adam 1e-3), batch 128;
  * the DCGAN step against batch size (--batches, always with 64): these rows are timed
    together, round-robin, so the growth from batch 64 to the largest is one run's ratio;
    --plot draws it against the linear line.
With --torch the same networks are built in PyTorch with minigen's initial weights and timed
interleaved with minigen's, step by step; every row gets the ratio minigen / PyTorch.
Reported time: the median of --repeat steps after 3 warm-up steps (GPU: synchronised).
--memory runs each workload in a fresh subprocess and reports its peak memory above the
post-build baseline: host RSS on the CPU; on the GPU, CuPy's pool and PyTorch's max allocated.
--profile prints mg.profile()'s table for the minigen steps.
--allocator keep (the default) calls minigen.allocator.keep_freed_memory(), as `minigen train`
does; both frameworks share the process and so the policy.

--workload: every registered model's training step (``benchmarks/workloads/``: dcgan, cgan,
wgan, wgan-gp, vae, cyclegan, srgan-pixel, srgan, pix2pix, spade; "all" for every one), each at
its default batch times each of --scales (1, 4 and 8). With --torch each workload's PyTorch twin
is first checked to compute the same losses as minigen on two steps at batch 4, then the
batches of one workload are timed together, round-robin, minigen and PyTorch alternating.
One table, then the worst ratio at the default batch and at the largest scale against the
targets (<= 1.0x at the default batch, <= 1.2x at 8x).
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from timing import PAUSE_S, full_float32, machine, median_interleaved, set_threads  # noqa: E402,F401
# the DCGAN and VAE steps live in workloads/classic.py; these names stay importable from here
from workloads.classic import MinigenSteps, TorchSteps, dcgan_nets, vae_nets  # noqa: E402,F401
from workloads.twin import copy_weights  # noqa: E402,F401
import workloads  # noqa: E402

TARGETS = {1: 1.0, 8: 1.2}   # issue 21: minigen / PyTorch at the default batch and at 8x it

# ----------------------------------------------------------------------------- timing

def workload_fns(name, batch, ours, theirs):
    """(minigen fn, torch fn or None) for one workload at one batch size."""
    import numpy as np
    rng = np.random.default_rng(0)
    if name == "dcgan":
        real = rng.uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)
        z = rng.standard_normal((batch, 100, 1, 1)).astype(np.float32)
        mr, mz = ours.mg.tensor(real, device=ours.device), ours.mg.tensor(z, device=ours.device)
        fns = [lambda: ours.dcgan_step(mr, mz)]
        if theirs:
            tr, tz = theirs.data(real), theirs.data(z)
            fns.append(lambda: theirs.dcgan_step(tr, tz))
    else:
        x = (rng.uniform(0, 1, (batch, 1, 28, 28)) > 0.5).astype(np.float32)
        eps = rng.standard_normal((batch, 16)).astype(np.float32)
        mx, me = ours.mg.tensor(x, device=ours.device), ours.mg.tensor(eps, device=ours.device)
        fns = [lambda: ours.vae_step(mx, me)]
        if theirs:
            tx, te = theirs.data(x), theirs.data(eps)
            fns.append(lambda: theirs.vae_step(tx, te))
    return fns


def flops_per_step(name, batch):
    """2 x multiply-adds of the convolutions and linear layers; backward counted as twice the
    forward (input and weight gradients), so fwd + bwd = 3 x forward."""
    def conv(cin, cout, k, hout):        # every output pixel reads a k x k x cin patch
        return 2 * cin * cout * k * k * hout * hout

    def conv_t(cin, cout, k, hin):       # every input pixel writes a k x k x cout patch
        return 2 * cin * cout * k * k * hin * hin
    if name == "dcgan":
        g = conv_t(100, 256, 7, 1) + conv_t(256, 128, 4, 7) + conv_t(128, 1, 4, 14)
        d = conv(1, 64, 4, 14) + conv(64, 128, 4, 7) + conv(128, 1, 7, 1)
        return batch * 3 * (g + 3 * d)  # D runs on real, on fake, and on fake again for G's loss
    enc = conv(1, 32, 4, 14) + conv(32, 64, 4, 7) + 2 * 3136 * 32
    dec = 2 * 16 * 3136 + conv_t(64, 32, 4, 7) + conv_t(32, 1, 4, 14)
    return batch * 3 * (enc + dec)


def peak_rss_mib():
    """This process's peak resident memory in MiB: VmHWM, which starts afresh at exec
    (ru_maxrss would carry over the high-water mark of the process that spawned us)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_device_mib(framework):
    """GPU: PyTorch's max_memory_allocated; for minigen the bytes CuPy's default pool holds,
    which keeps every block it ever allocated and so marks its high water (an upper bound
    on what was in use at once)."""
    if framework == "torch":
        import torch
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() / 2 ** 20
    import cupy
    cupy.cuda.Device().synchronize()
    return cupy.get_default_memory_pool().total_bytes() / 2 ** 20


def measure_memory(name, batch, framework, device, threads, allocator="keep"):
    """Peak memory (MiB) of a fresh process running 5 steps, above its peak after building:
    host RSS on the CPU, device memory on the GPU (peak_device_mib)."""
    peak = "b.peak_rss_mib()" if device == "cpu" else f"b.peak_device_mib({framework!r})"
    code = f"""
import sys
sys.path.insert(0, {os.path.join(HERE, '..')!r}); sys.path.insert(0, {HERE!r})
import run as b
b.set_threads({threads})
from minigen import allocator
allocator.keep_freed_memory() if {allocator!r} == 'keep' else allocator.default_policy()
import workloads
torch = None
if {framework!r} == 'torch':
    import torch
    torch.set_num_threads({threads})
work = workloads.build({name!r}, {batch}, {device!r}, torch)
fn = work.theirs if torch else work.ours
if {framework!r} == 'torch' and {device!r} == 'cuda':
    import torch; torch.cuda.reset_peak_memory_stats()
base = {peak}
for _ in range(5): fn()
print({peak} - base)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else float("nan")


def check_same_computation(device):
    """Both frameworks must compute the same step: compare the first steps' losses."""
    ours = MinigenSteps(device)
    theirs = TorchSteps(device, ours)
    for name, batch in (("dcgan", 8), ("vae", 8)):
        fm, ft = workload_fns(name, batch, ours, theirs)
        lm, lt = float(fm().item()), float(ft().item())
        if abs(lm - lt) > 1e-3 * max(1.0, abs(lt)):
            raise RuntimeError(f"{name}: minigen's first-step loss {lm} differs from PyTorch's {lt}")


def scaling_summary(batches, measured, names):
    """One line: each framework's DCGAN step time at the largest batch over batch 64's."""
    big = batches[-1]
    growth = ", ".join(f"{name} x{measured['dcgan', big][k] / measured['dcgan', 64][k]:.2f}"
                       for k, name in enumerate(names))
    return f"DCGAN step time from batch 64 to {big} ({big / 64:g}x the batch; linear is x{big / 64:g}): {growth}"


def plot_scaling(batches, measured, names, path, device):
    """Step time against batch size, log-log, with the line through batch 64 that grows linearly."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for k, name in enumerate(names):
        ms = [measured["dcgan", b][k] * 1e3 for b in batches]
        ax.plot(batches, ms, "o-", label=name)
        ax.plot(batches, [ms[batches.index(64)] * b / 64 for b in batches], ":", color=ax.lines[-1].get_color(),
                label=f"{name}, linear from batch 64")
    ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="ms per DCGAN training step",
           title=f"DCGAN step against batch size ({device}, {time.strftime('%Y-%m-%d')})")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def print_header(args, torch):
    """Two comment lines: the run's settings and date; the machine, libraries and its SGEMM rate."""
    import numpy as np
    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    sgemm_s = median_interleaved([lambda: a @ a], [lambda: None], 5)[0]
    sgemm = 2 * 1024 ** 3 / sgemm_s / 1e9
    print(f"# training steps, device={args.device}, threads={args.threads}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# {machine(args.device)}" +
          (f", torch {torch.__version__}" if torch else "") +
          (f"; machine SGEMM (NumPy 1024^2 float32) {sgemm:.0f} GFLOP/s" if args.device == "cpu" else "") +
          f"; allocator: {args.allocator}; pause {PAUSE_S if args.pause is None else args.pause} s", flush=True)


# ----------------------------------------------------------------------------- every model's step

def parse_workloads(spec, scales):
    """--workload and --scales -> (names, sorted positive ints); a bad one exits with one line."""
    names = list(workloads.NAMES) if spec == "all" else [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in workloads.WORKLOADS]
    if unknown or not names:
        sys.exit(f"{os.path.basename(__file__)}: --workload {spec}: expected all or a comma-separated list "
                 f"of {', '.join(workloads.NAMES)}")
    try:
        factors = sorted({int(k) for k in scales.split(",")})
    except ValueError:
        factors = []
    if not factors or factors[0] < 1:
        sys.exit(f"{os.path.basename(__file__)}: --scales {scales}: expected positive integers, e.g. 1,4,8")
    return names, factors


def worst_lines(rows, scales):
    """The worst ratio at each target's scale and overall, and the rows over their target."""
    lines = []
    for scale in scales:
        at = [r for r in rows if r["scale"] == scale and r["ratio"] is not None]
        if at:
            worst = max(at, key=lambda r: r["ratio"])
            target = TARGETS.get(scale)
            over = [f"{r['name']} {r['ratio']:.2f}x" for r in at if target is not None and r["ratio"] > target]
            lines.append(f"worst ratio at {scale}x the default batch: {worst['ratio']:.2f}x ({worst['name']}, "
                         f"batch {worst['batch']})" +
                         (f"; target <= {target}x, missed by: {', '.join(over) or 'none'}" if target else ""))
    timed = [r for r in rows if r["ratio"] is not None]
    if timed:
        worst = max(timed, key=lambda r: r["ratio"])
        lines.append(f"worst ratio: {worst['ratio']:.2f}x ({worst['name']}, batch {worst['batch']})")
    return lines


def workload_table(args, names, scales, torch):
    """The --workload table: each workload at its default batch x --scales, the batches of one
    workload timed together (round-robin, minigen and PyTorch alternating); with --torch every
    twin is checked on two steps before any timing."""
    import minigen as mg
    failed = {}   # name -> why its twin is not the same computation; it is not timed
    if torch:
        for name in names:
            try:
                workloads.check(name, torch, device=args.device)
            except RuntimeError as exc:
                failed[name] = str(exc)
    print_header(args, torch)
    print(f"# {len(names)} workloads, batches = default x {','.join(map(str, scales))}; median of {args.repeat} "
          f"steps after 3 warm-up steps" + ("; PyTorch twins checked: same losses on 2 steps" if torch else ""))
    print("| workload | batch | x default | minigen ms | PyTorch ms | ratio |" +
          (" peak MiB minigen | peak MiB PyTorch |" if args.memory else ""))
    print("| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if args.memory else ""), flush=True)
    rows = []
    for name in names:
        if name in failed:
            print(f"| {name} | - | - | - | - | not timed: {failed[name]} |", flush=True)
            continue
        default = workloads.default_batch(name)
        works = [workloads.build(name, default * k, args.device, torch) for k in scales]
        fns = [f for w in works for f in w.fns()]
        times = median_interleaved(fns, [s for w in works for s in w.syncs()], args.repeat, args.pause)
        per = len(works[0].fns())
        del works, fns   # free the large batches before the next workload
        for k, scale in enumerate(scales):
            t = times[k * per:(k + 1) * per]
            row = {"name": name, "batch": default * scale, "scale": scale, "ratio": t[0] / t[1] if per == 2 else None}
            line = (f"| {name} | {row['batch']} | {scale} | {t[0] * 1e3:.1f} | "
                    + (f"{t[1] * 1e3:.1f} | {row['ratio']:.2f}x |" if per == 2 else "- | - |"))
            if args.memory:
                mem = [measure_memory(name, row["batch"], f, args.device, args.threads, args.allocator)
                       for f in (("minigen", "torch") if torch else ("minigen",))]
                line += " " + " | ".join(f"{m:.0f}" for m in mem) + (" |" if torch else " | - |")
            rows.append(row)
            print(line, flush=True)
    print()
    for line in worst_lines(rows, scales):
        print(line)
    if args.profile:
        for name in names:
            fn = workloads.build(name, workloads.default_batch(name), args.device).ours
            fn()
            with mg.profile(sync=args.device == "cuda") as prof:
                for _ in range(3):
                    fn()
            print(f"\n## mg.profile() of 3 {name} steps, batch {workloads.default_batch(name)}\n```\n"
                  f"{prof.table(20)}\n```")
    if failed:
        sys.exit(f"{len(failed)} workload(s) not the same computation in both libraries: {', '.join(failed)}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Example: python benchmarks/run.py --torch --threads 2",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--torch", action="store_true", help="time PyTorch too and print ratios")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pause", type=float, default=None,
                        help="seconds of rest before each timed step while the libraries alternate "
                             "(default timing.PAUSE_S: their idle thread pools fall asleep first)")
    parser.add_argument("--batches", default="16,64,256,512", help="batch sizes for the DCGAN scaling rows")
    parser.add_argument("--memory", action="store_true", help="peak memory per workload (subprocesses)")
    parser.add_argument("--profile", action="store_true", help="print mg.profile() of the minigen steps")
    parser.add_argument("--plot", metavar="FILE", help="write the batch-scaling plot (PNG) here")
    parser.add_argument("--allocator", choices=("keep", "default"), default="keep",
                        help="keep freed memory for reuse (as `minigen train` does) or glibc's default")
    parser.add_argument("--workload", metavar="all|NAME[,NAME]",
                        help=f"every model's step table instead: all, or some of {', '.join(workloads.NAMES)}")
    parser.add_argument("--scales", default="1,4,8", help="--workload: batches = default batch x these")
    args = parser.parse_args(argv)
    if args.workload:
        names, scales = parse_workloads(args.workload, args.scales)  # bad input: one line, before any work
    set_threads(args.threads)
    import minigen as mg
    from minigen import allocator
    try:
        mg.backend.check_device(args.device)
    except (RuntimeError, ValueError) as exc:
        sys.exit(f"{os.path.basename(__file__)}: --device {args.device}: {exc}")
    allocator.keep_freed_memory() if args.allocator == "keep" else allocator.default_policy()
    mg.set_num_threads(args.threads)   # NumPy may be loaded already (by the imports above): tell its BLAS too
    theirs_mod = None
    if args.torch:
        import torch
        torch.set_num_threads(args.threads)
        theirs_mod = full_float32(torch)
    if args.workload:
        return workload_table(args, names, scales, theirs_mod)
    if args.torch:
        check_same_computation(args.device)
    ours = MinigenSteps(args.device)
    theirs = TorchSteps(args.device, ours) if args.torch else None
    syncs = [ours.sync] + ([theirs.sync] if theirs else [])

    print_header(args, theirs_mod)
    print("| workload | batch | minigen ms | PyTorch ms | ratio | minigen GFLOP/s |" +
          (" peak MiB minigen | peak MiB PyTorch |" if args.memory else ""))
    print("| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if args.memory else ""))
    batches = sorted({64} | {int(b) for b in args.batches.split(",")})
    measured = {}
    for name, group in (("dcgan", batches), ("vae", [128])):  # the DCGAN batches round-robin
        fns = [workload_fns(name, b, ours, theirs) for b in group]
        times = median_interleaved([f for fs in fns for f in fs], syncs * len(group), args.repeat, args.pause)
        for k, batch in enumerate(group):
            measured[name, batch] = times[k * len(syncs):(k + 1) * len(syncs)]
    for name, batch in [("dcgan", 64), ("vae", 128)] + [("dcgan", b) for b in batches if b != 64]:
        times = measured[name, batch]
        ratio = f"{times[0] / times[1]:.2f}x" if len(times) == 2 else "-"
        torch_ms = f"{times[1] * 1e3:.1f}" if len(times) == 2 else "-"
        gflops = flops_per_step(name, batch) / times[0] / 1e9
        line = f"| {name} step | {batch} | {times[0] * 1e3:.1f} | {torch_ms} | {ratio} | {gflops:.1f} |"
        if args.memory:
            mem_m = measure_memory(name, batch, "minigen", args.device, args.threads, args.allocator)
            mem_t = (measure_memory(name, batch, "torch", args.device, args.threads, args.allocator)
                     if args.torch else float("nan"))
            line += f" {mem_m:.0f} | {mem_t:.0f} |"
        print(line, flush=True)
    names = ["minigen", "PyTorch"][:len(syncs)]
    if batches[-1] > 64:
        print("\n" + scaling_summary(batches, measured, names))
    if args.plot and len(batches) > 1:
        plot_scaling(batches, measured, names, args.plot, args.device)
    if args.profile:
        for name, batch in (("dcgan", 64), ("vae", 128)):
            fn = workload_fns(name, batch, ours, None)[0]
            fn()
            with mg.profile(sync=args.device == "cuda") as prof:
                for _ in range(5):
                    fn()
            print(f"\n## mg.profile() of 5 {name} steps, batch {batch}\n```\n{prof.table(15)}\n```")


if __name__ == "__main__":
    main()
