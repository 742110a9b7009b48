"""Which layers grow faster than the batch: the DCGAN step at two batch sizes, alternated,
with every convolution, batch-norm and leaky-ReLU array function timed by layer shape.

    python benchmarks/layer_scaling.py [--batches 64,512] [--repeat 4] [--threads 2]

Prints per layer and pass: ms per step at each batch size, their ratio, and the excess over
linear growth (ms at the large batch minus ratio-of-batches x ms at the small one), sorted by
time at the large batch. mg.profile() groups by op type; this splits by layer and by the three
array routines of minigen/nn/functional/conv.py: "im2col + GEMM" (a Conv2d's forward pass and
a ConvTranspose2d's input gradient), "GEMM + col2im" (a Conv2d's input gradient and a
ConvTranspose2d's forward pass; where the flipped kernel is used, its im2col + GEMM row is
counted inside this one too, listed with the flipped weight's shape) and "weight gradient".
"""
import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402

# (module, function, label of one call from its arguments)
TIMED = [
    ("minigen.nn.functional.conv", "_conv_forward", lambda p, x, w: ("im2col + GEMM", w.shape, x.shape[2:])),
    ("minigen.nn.functional.conv", "_conv_input_grad", lambda p, gy, w, xs: ("GEMM + col2im", w.shape, xs[2:])),
    ("minigen.nn.functional.conv", "_conv_weight_grad",
     lambda p, x, gy, ws, cols=None: ("weight gradient", tuple(ws), x.shape[2:])),
    ("minigen.nn.functional.norm", "batch_norm_forward_array", lambda x, *a: ("batch norm", x.shape[1:], "")),
    ("minigen.nn.functional.norm", "batch_norm_backward_array", lambda g, *a: ("batch norm dx", g.shape[1:], "")),
    ("minigen.ops.elementwise", "leaky_relu_array", lambda x, a: ("leaky_relu", x.shape[1:], "")),
    ("minigen.ops.elementwise", "leaky_relu_grad_array", lambda x, g, a: ("leaky_relu dx", x.shape[1:], "")),
]


def instrument(seconds, current):
    """Wrap each TIMED function so that its calls add to seconds[(batch, label)]; returns a
    function that puts the originals back."""
    import importlib
    originals = []
    for module_name, name, label in TIMED:
        module = importlib.import_module(module_name)
        fn = getattr(module, name)
        originals.append((module, name, fn))

        def timed(*args, _fn=fn, _label=label, **kwargs):
            t0 = time.perf_counter()
            out = _fn(*args, **kwargs)
            seconds[current[0], _label(*args, **kwargs)] += time.perf_counter() - t0
            return out
        setattr(module, name, timed)
    return lambda: [setattr(module, name, fn) for module, name, fn in originals]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", default="64,512")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    bench.set_threads(args.threads)
    from minigen import allocator
    allocator.keep_freed_memory()
    small, large = (int(b) for b in args.batches.split(","))
    seconds, current = collections.defaultdict(float), [None]
    restore = instrument(seconds, current)
    ours = bench.MinigenSteps("cpu")
    steps = {b: bench.workload_fns("dcgan", b, ours, None)[0] for b in (small, large)}
    totals = dict.fromkeys(steps, 0.0)
    for batch, step in steps.items():  # warm-up, not counted
        current[0] = batch
        step()
    seconds.clear()
    for _ in range(args.repeat):
        for batch, step in steps.items():
            current[0] = batch
            t0 = time.perf_counter()
            step()
            totals[batch] += time.perf_counter() - t0
    restore()
    k = large / small
    ms = {key: s / args.repeat * 1e3 for key, s in seconds.items()}
    print(f"# DCGAN step, ms per step, batch {small} and {large} alternated ({args.repeat} each), "
          f"threads={args.threads}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# whole step: {totals[small] / args.repeat * 1e3:.1f} and {totals[large] / args.repeat * 1e3:.1f} ms, "
          f"x{totals[large] / totals[small]:.2f} for x{k:g} the batch")
    print(f"| pass | weight or shape | input H, W | batch {small} | batch {large} | growth | excess ms |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    labels = sorted({label for _, label in ms}, key=lambda lb: -ms.get((large, lb), 0.0))
    for label in labels:
        a, b = ms.get((small, label), 0.0), ms.get((large, label), 0.0)
        growth = f"x{b / a:.2f}" if a else "-"
        print(f"| {label[0]} | {tuple(label[1])} | {tuple(label[2]) if label[2] else ''} | {a:.1f} | {b:.1f} | "
              f"{growth} | {b - k * a:+.1f} |")


if __name__ == "__main__":
    main()
