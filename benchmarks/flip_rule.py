"""Where should a stride-1 input gradient use the flipped kernel instead of col2im? Times
conv._conv_input_grad on a set of layers with the flip forced off and forced on, alternated
call by call, and prints each layer's column ratio (the flip's columns over col2im's), the
two times and what conv.FLIP_MAX_COLUMN_RATIO chooses.

    python benchmarks/flip_rule.py [--repeat 40] [--threads 2]
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
from run import set_threads  # noqa: E402

# (N, C_in, H, C_out, k, padding): stride 1, square maps
LAYERS = [
    (8, 64, 10, 64, 3, 0),   # CycleGAN's residual 3x3 on a reflection-padded 10x10
    (8, 64, 8, 64, 3, 1),
    (64, 64, 14, 64, 3, 1),
    (64, 32, 28, 32, 3, 1),
    (64, 32, 14, 64, 3, 1),
    (64, 128, 7, 128, 3, 1),
    (8, 32, 38, 3, 7, 0),    # CycleGAN's last layer
    (64, 128, 7, 1, 7, 0),   # DCGAN's critic's last layer
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    import numpy as np
    from minigen import allocator
    from minigen.nn.functional import conv
    allocator.keep_freed_memory()
    rule, rng = conv._flip_is_cheaper, np.random.default_rng(0)
    print(f"# stride-1 input gradient alone, ms (median of {args.repeat}), col2im and flip alternated, "
          f"threads={args.threads}, {time.strftime('%Y-%m-%d %H:%M')}; FLIP_MAX_COLUMN_RATIO = "
          f"{conv.FLIP_MAX_COLUMN_RATIO}")
    print("| layer (N, C_in, H, C_out, k, pad) | flip / col2im columns | col2im ms | flip ms | flip / col2im | rule picks |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    try:
        for n, c, h, o, k, pad in LAYERS:
            p = conv._ConvParams((1, 1), (pad, pad), (1, 1), 1)
            ho = h + 2 * pad - k + 1
            w = rng.standard_normal((o, c, k, k)).astype(np.float32)
            gy = rng.standard_normal((n, o, ho, ho)).astype(np.float32)
            x_shape = (n, c, h, h)
            picks = "flip" if rule(p, w.shape, x_shape, gy.shape) else "col2im"
            samples = {False: [], True: []}
            for _ in range(args.repeat + 3):
                for flip in samples:
                    conv._flip_is_cheaper = lambda *shapes, _flip=flip: _flip
                    t0 = time.perf_counter()
                    conv._conv_input_grad(p, gy, w, x_shape)
                    samples[flip].append(time.perf_counter() - t0)
            t_col2im, t_flip = (statistics.median(samples[f][3:]) * 1e3 for f in (False, True))
            print(f"| {(n, c, h, o, k, pad)} | {o * h * h / (c * ho * ho):.2f} | {t_col2im:.2f} | {t_flip:.2f} | "
                  f"{t_flip / t_col2im:.2f} | {picks} |", flush=True)
    finally:
        conv._flip_is_cheaper = rule


if __name__ == "__main__":
    main()
