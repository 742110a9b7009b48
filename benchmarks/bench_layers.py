"""Forward + backward time of the four layer ops, minigen against PyTorch in one run.

    python benchmarks/bench_layers.py [--device cpu|cuda] [--threads 2] [--repeat 30]

Sizes (batch 64, float32) are the layers issue's: conv2d 64->128 on 14x14 (k4 s2 p1),
conv_transpose2d 128->64 on 7x7 (k4 s2 p1), batch_norm2d and leaky_relu on (64,128,14,14).
Two more rows time CycleGAN's last layer (conv2d 32->3, 7x7, stride 1, on a reflection-padded
38x38 map, batch 8) with its input gradient as a flipped-kernel convolution (minigen's choice
for stride 1 with fewer output than input channels) and, for the before/after, by col2im.
The last rows time CycleGAN's instance norm (no affine, as its blocks use it) and reflection
padding at the shapes of its residual blocks (8x8 maps, batch 8) and of its first layer.
Each row is the median of --repeat timed runs after warm-up; the two libraries alternate
run by run so that machine noise hits both. Ratio = minigen / PyTorch (lower is better).
"""
import argparse
import os
import sys
import time


def _set_threads(n):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def workloads(mg, F, torch, device):
    """name -> (minigen step, torch step or None). Each step runs forward + backward."""
    import numpy as np
    rng = np.random.default_rng(0)

    def pair(shape):
        a = rng.standard_normal(shape).astype(np.float32)
        m = mg.tensor(a, requires_grad=True, device=device)
        t = torch.tensor(a, requires_grad=True, device=device) if torch else None
        return m, t

    x1, tx1 = pair((64, 64, 14, 14))
    w1, tw1 = pair((128, 64, 4, 4))
    x2, tx2 = pair((64, 128, 7, 7))
    w2, tw2 = pair((128, 64, 4, 4))
    x3, tx3 = pair((64, 128, 14, 14))
    g3, tg3 = pair((128,))
    b3, tb3 = pair((128,))
    gy1 = mg.tensor(rng.standard_normal((64, 128, 7, 7)).astype(np.float32), device=device)
    gy2 = mg.tensor(rng.standard_normal((64, 64, 14, 14)).astype(np.float32), device=device)
    gy3 = mg.tensor(rng.standard_normal((64, 128, 14, 14)).astype(np.float32), device=device)
    tgy = [torch.tensor(g.numpy(), device=device) if torch else None for g in (gy1, gy2, gy3)]
    rm, rv = mg.zeros(128, device=device), mg.ones(128, device=device)

    def clear(*ts):
        for t in ts:
            t.grad = None

    def m_conv():
        clear(x1, w1)
        F.conv2d(x1, w1, stride=2, padding=1).backward(gy1)

    def m_convt():
        clear(x2, w2)
        F.conv_transpose2d(x2, w2, stride=2, padding=1).backward(gy2)

    def m_bn():
        clear(x3, g3, b3)
        F.batch_norm(x3, rm, rv, g3, b3, training=True).backward(gy3)

    def m_lrelu():
        clear(x3)
        F.leaky_relu(x3, 0.2).backward(gy3)

    from minigen.nn.functional import conv as conv_module
    x4, tx4 = pair((8, 32, 38, 38))
    w4, tw4 = pair((3, 32, 7, 7))
    gy4 = mg.tensor(rng.standard_normal((8, 3, 32, 32)).astype(np.float32), device=device)
    tgy.append(torch.tensor(gy4.numpy(), device=device) if torch else None)
    flip_rule = conv_module._flip_is_cheaper

    x5, tx5 = pair((64, 64, 14, 14))
    w5, tw5 = pair((64, 64, 3, 3))
    gy5 = mg.tensor(rng.standard_normal((64, 64, 14, 14)).astype(np.float32), device=device)
    tgy.append(torch.tensor(gy5.numpy(), device=device) if torch else None)

    def m_stride1(x, w, gy, padding, flip):
        """conv2d forward + backward with the input gradient forced to the flip or to col2im."""
        def step():
            clear(x, w)
            conv_module._flip_is_cheaper = flip_rule if flip else (lambda *shapes: False)
            try:
                F.conv2d(x, w, padding=padding).backward(gy)
            finally:
                conv_module._flip_is_cheaper = flip_rule
        return step

    steps = {"conv2d 64->128 14x14 k4s2p1": [m_conv], "conv_transpose2d 128->64 7x7 k4s2p1": [m_convt],
             "batch_norm2d (64,128,14,14) train": [m_bn], "leaky_relu (64,128,14,14)": [m_lrelu],
             "conv2d 32->3 38x38 k7 batch 8, dx by flip": [m_stride1(x4, w4, gy4, 0, True)],
             "conv2d 32->3 38x38 k7 batch 8, dx by col2im": [m_stride1(x4, w4, gy4, 0, False)],
             "conv2d 64->64 14x14 k3p1, dx by flip": [m_stride1(x5, w5, gy5, 1, True)],
             "conv2d 64->64 14x14 k3p1, dx by col2im": [m_stride1(x5, w5, gy5, 1, False)]}
    cyclegan_shapes = {"instance_norm (8,128,8,8)": ((8, 128, 8, 8), "norm", None),
                       "instance_norm (8,32,32,32)": ((8, 32, 32, 32), "norm", None),
                       "reflection pad 1 (8,128,8,8)": ((8, 128, 8, 8), "pad", (1, 1, 1, 1)),
                       "reflection pad 3 (8,3,32,32)": ((8, 3, 32, 32), "pad", (3, 3, 3, 3))}
    cyclegan_inputs = {}
    for name, (shape, kind, widths) in cyclegan_shapes.items():
        x, tx = pair(shape)
        out_shape = shape if widths is None else shape[:2] + (shape[2] + 2 * widths[2], shape[3] + 2 * widths[0])
        gy = rng.standard_normal(out_shape).astype(np.float32)
        cyclegan_inputs[name] = (x, tx, mg.tensor(gy, device=device), torch.tensor(gy, device=device) if torch else None)

        def m_step(x=x, gy=cyclegan_inputs[name][2], kind=kind, widths=widths):
            clear(x)
            (F.instance_norm(x) if kind == "norm" else F.pad(x, widths, mode="reflect")).backward(gy)
        steps[name] = [m_step]
    if torch:
        TF = torch.nn.functional
        trm, trv = torch.zeros(128, device=device), torch.ones(128, device=device)

        def t_conv():
            clear(tx1, tw1)
            TF.conv2d(tx1, tw1, stride=2, padding=1).backward(tgy[0])

        def t_convt():
            clear(tx2, tw2)
            TF.conv_transpose2d(tx2, tw2, stride=2, padding=1).backward(tgy[1])

        def t_bn():
            clear(tx3, tg3, tb3)
            TF.batch_norm(tx3, trm, trv, tg3, tb3, training=True).backward(tgy[2])

        def t_lrelu():
            clear(tx3)
            TF.leaky_relu(tx3, 0.2).backward(tgy[2])

        def t_conv7():
            clear(tx4, tw4)
            TF.conv2d(tx4, tw4).backward(tgy[3])

        def t_conv3():
            clear(tx5, tw5)
            TF.conv2d(tx5, tw5, padding=1).backward(tgy[4])
        for name, fn in zip(steps, (t_conv, t_convt, t_bn, t_lrelu, t_conv7, t_conv7, t_conv3, t_conv3)):
            steps[name].append(fn)
        for name, (shape, kind, widths) in cyclegan_shapes.items():
            _, tx, _, tgy_ = cyclegan_inputs[name]

            def t_step(tx=tx, tgy_=tgy_, kind=kind, widths=widths):
                clear(tx)
                (TF.instance_norm(tx) if kind == "norm" else TF.pad(tx, widths, mode="reflect")).backward(tgy_)
            steps[name].append(t_step)
    return steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Example: python benchmarks/bench_layers.py --threads 2")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-torch", action="store_true", help="time minigen only")
    args = parser.parse_args(argv)
    _set_threads(args.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from timing import full_float32, machine, median_interleaved
    import numpy as np
    import minigen as mg
    import minigen.nn.functional as F
    try:
        mg.backend.check_device(args.device)
    except (RuntimeError, ValueError) as exc:
        sys.exit(f"{os.path.basename(__file__)}: --device {args.device}: {exc}")
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(args.threads)
            full_float32(torch)
        except ImportError:
            print("PyTorch not installed: timing minigen only (pip install torch==2.13.0 for ratios)")

    def sync():
        if args.device == "cuda":
            mg.backend.cupy.cuda.Device().synchronize()
            if torch:
                torch.cuda.synchronize()

    print(f"# layers, forward+backward, batch 64, float32, device={args.device}, threads={args.threads}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {machine(args.device)}" +
          (f", torch {torch.__version__}" if torch else ""))
    if args.device == "cpu":
        a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
        sgemm = min(median_interleaved([lambda: a @ a], [sync], 5))
        print(f"# machine SGEMM (NumPy, 1024^2 float32): {2 * 1024 ** 3 / sgemm / 1e9:.0f} GFLOP/s")
    print("| op | minigen ms | PyTorch ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, fns in workloads(mg, F, torch, args.device).items():
        times = median_interleaved(fns, [sync] * len(fns), args.repeat)
        if len(times) == 2:
            print(f"| {name} | {times[0] * 1e3:.2f} | {times[1] * 1e3:.2f} | {times[0] / times[1]:.2f}x |")
        else:
            print(f"| {name} | {times[0] * 1e3:.2f} | - | - |")


if __name__ == "__main__":
    main()
