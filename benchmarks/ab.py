"""Before/after of one CPU optimisation on a training step (DCGAN by default), alternated
step by step in one process, so machine noise falls on both alike.

    python benchmarks/ab.py allocator [--batches 64,512] [--repeat 6] [--threads 2] [--torch]
    python benchmarks/ab.py slices    [--batches 64,512] [--repeat 6] [--threads 2]
    python benchmarks/ab.py flip --workload cyclegan [--batches 8] [--repeat 10]
    python benchmarks/ab.py batch_last [--batches 64,512] [--repeat 6]
    python benchmarks/ab.py clusters --batches 64 --threads 1 [--repeat 14]
    python benchmarks/ab.py im2col_batch_last | share | recompute | output_side | upsample [--workload NAME] [--batches ...]

  allocator: glibc's default memory policy, then minigen.allocator.keep_freed_memory()
             (both frameworks share the process, so --torch shows PyTorch's change too);
  slices:    convolutions over the whole batch at once, then in batch slices whose columns
             fit conv.CPU_COLUMN_BYTES (minigen only); the allocator keeps freed memory;
  flip:      stride-1 input gradients by the flipped kernel only where its columns are
             smaller than col2im's, then where they are less than conv.FLIP_MAX_COLUMN_RATIO
             times col2im's (minigen only);
  batch_last: the input gradient's columns formed (C, kh, kw, N, Ho, Wo) and transposed for
             col2im, then formed batch-last by transposing gy instead (minigen only);
  im2col_batch_last: the forward's and weight gradient's columns (C, kh, kw, N, Ho, Wo), then
             batch-last (C, kh, kw, Ho, Wo, N) where they have more rows than the output has
             channels (conv.CPU_BATCH_LAST_COLUMNS);
  share:     conv_transpose2d's backward building im2col(gy) twice (input and weight
             gradient), then once (conv.CPU_SHARE_TRANSPOSED_COLUMNS);
  recompute: every forward's columns kept for the weight gradient, then only those of at
             most conv.CPU_KEPT_COLUMN_BYTES per call (larger ones rebuilt in the backward);
  output_side: narrow-output stride-1 convolutions (16 -> 3 at 7x7) by im2col, then forward
             and weight gradient from the output side's smaller columns (conv.CPU_OUTPUT_SIDE);
  upsample:  nearest upsampling by integer factors as a gather (x[:, :, rows][:, :, :, cols],
             np.add.at in the backward), then as a broadcast with a block-sum gradient;
  clusters:  dcgan's default train_step unconditional (clusters=0), then conditioned on 50
             k-means groups of the embedded digits (clusters=50): what the condition costs,
             on a batch of real digits (minigen only).

--workload cyclegan times the cyclegan model's own train_step (embedded domains' shape, batch
from --batches, default options) instead of the DCGAN step; any other name of
`run.py --workload` (cgan, wgan, wgan-gp, vae, srgan-pixel, srgan, pix2pix, spade) times
minigen's side of that workload.

Each round switches the setting, runs one untimed step (caches and heap settle) and times
the next.
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
import workloads  # noqa: E402


def cyclegan_step(batch):
    """One train_step of the cyclegan model (defaults) on a fixed random batch of its image shape."""
    import numpy as np
    import minigen as mg
    from minigen.models.cyclegan import CycleGAN
    shape = CycleGAN.load_data("embedded", "train")[0][0].shape
    model = CycleGAN(dict(CycleGAN.defaults), "cpu", shape)
    images = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (batch,) + shape).astype(np.float32))
    return lambda: model.train_step(images, None)


def clusters_models(batch):
    """dcgan's defaults with clusters=0 and =50 (groups prepared), a step on real digits from
    whichever ``use`` selected last, and the two settings that select them."""
    import numpy as np
    import minigen as mg
    from minigen.data import load_dataset, to_symmetric
    from minigen.models import get_model_class
    cls = get_model_class("dcgan")
    x = to_symmetric(load_dataset("embedded", "train").images)
    models = {}
    for k in (0, 50):
        mg.manual_seed(0)
        models[k] = cls({**cls.defaults, "clusters": k}, image_shape=(1, 28, 28))
        models[k].prepare(x)
    images = mg.tensor(x[np.random.default_rng(0).choice(len(x), batch, replace=False)])
    active = {}
    use = {f"clusters={k}": (lambda k=k: active.update(model=models[k])) for k in models}
    use["clusters=0"]()
    return use, lambda: active["model"].train_step(images, None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("change", choices=("allocator", "slices", "flip", "batch_last", "clusters", "recompute", "im2col_batch_last", "share", "output_side", "upsample"))
    parser.add_argument("--workload", default="dcgan",
                        choices=("dcgan", "cyclegan", "cgan", "wgan", "wgan-gp", "vae", "srgan-pixel", "srgan",
                                 "pix2pix", "spade"))
    parser.add_argument("--batches", default="64,512")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--torch", action="store_true", help="time PyTorch's step too")
    args = parser.parse_args(argv)
    bench.set_threads(args.threads)
    from minigen import allocator
    from minigen.nn.functional import conv
    if not allocator.default_policy():
        sys.exit("ab.py: needs glibc (Linux) to switch the allocator policy")
    if args.torch:
        import torch
        torch.set_num_threads(args.threads)
    from minigen.nn.functional import upsample
    by_blocks = upsample._nearest_by_blocks

    def nearest_by_gather(x, sh, sw):  # the gather it replaced: two advanced indexes, np.add.at backward
        import numpy as np
        rows = upsample._nearest_index(x.shape[2], x.shape[2] * sh, np)
        return x[:, :, rows][:, :, :, upsample._nearest_index(x.shape[3], x.shape[3] * sw, np)]
    column_bytes, flip_ratio, kept_bytes = conv.CPU_COLUMN_BYTES, conv.FLIP_MAX_COLUMN_RATIO, conv.CPU_KEPT_COLUMN_BYTES
    settings = {
        "allocator": {"glibc default": allocator.default_policy, "keep_freed_memory": allocator.keep_freed_memory},
        "slices": {"whole batch": lambda: setattr(conv, "CPU_COLUMN_BYTES", 1 << 62),
                   f"slices of {column_bytes >> 20} MiB": lambda: setattr(conv, "CPU_COLUMN_BYTES", column_bytes)},
        "flip": {"flip if smaller": lambda: setattr(conv, "FLIP_MAX_COLUMN_RATIO", 1),
                 f"flip if < {flip_ratio}x": lambda: setattr(conv, "FLIP_MAX_COLUMN_RATIO", flip_ratio)},
        "batch_last": {"columns transposed": lambda: setattr(conv, "CPU_BATCH_LAST_INPUT_GRAD", False),
                       "batch-last product": lambda: setattr(conv, "CPU_BATCH_LAST_INPUT_GRAD", True)},
        "recompute": {"keep all columns": lambda: setattr(conv, "CPU_KEPT_COLUMN_BYTES", 1 << 62),
                      f"keep columns <= {kept_bytes >> 20} MiB": lambda: setattr(conv, "CPU_KEPT_COLUMN_BYTES", kept_bytes)},
        "im2col_batch_last": {"columns (C, k, k, N, Ho, Wo)": lambda: setattr(conv, "CPU_BATCH_LAST_COLUMNS", False),
                              "columns (C, k, k, Ho, Wo, N)": lambda: setattr(conv, "CPU_BATCH_LAST_COLUMNS", True)},
        "share": {"im2col(gy) twice": lambda: setattr(conv, "CPU_SHARE_TRANSPOSED_COLUMNS", False),
                  "im2col(gy) once": lambda: setattr(conv, "CPU_SHARE_TRANSPOSED_COLUMNS", True)},
        "output_side": {"im2col always": lambda: setattr(conv, "CPU_OUTPUT_SIDE", False),
                        "narrow outputs from the output side": lambda: setattr(conv, "CPU_OUTPUT_SIDE", True)},
        "upsample": {"nearest x2 by gather": lambda: setattr(upsample, "_nearest_by_blocks", nearest_by_gather),
                     "nearest x2 by broadcast": lambda: setattr(upsample, "_nearest_by_blocks", by_blocks)},
        "clusters": {},  # two models, not one global switch: built per batch below
    }[args.change]
    if args.change != "allocator":
        allocator.keep_freed_memory()
    if (args.workload != "dcgan" or args.change == "clusters") and args.torch:
        sys.exit("ab.py: --torch times the unconditional DCGAN step only")
    ours = bench.MinigenSteps("cpu")
    theirs = bench.TorchSteps("cpu", ours) if args.torch else None
    before, after = settings or ("clusters=0", "clusters=50")
    print(f"# {args.workload} step, ms (median of {args.repeat}), {before} / {after} alternated step by step, "
          f"threads={args.threads}, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"| framework | batch | {before} | {after} | after / before |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for batch in (int(b) for b in args.batches.split(",")):
        if args.change == "clusters":
            settings, step = clusters_models(batch)
            fns = [step]
        else:
            fns = (bench.workload_fns("dcgan", batch, ours, theirs) if args.workload == "dcgan"
                   else [cyclegan_step(batch)] if args.workload == "cyclegan"
                   else [workloads.build(args.workload, batch, "cpu", None).ours])
        for name, fn in zip(("minigen", "PyTorch"), fns):
            samples = {k: [] for k in settings}
            fn()
            for _ in range(args.repeat):
                for key, apply in settings.items():
                    apply()
                    fn()
                    t0 = time.perf_counter()
                    fn()
                    samples[key].append(time.perf_counter() - t0)
            ms = [statistics.median(samples[k]) * 1e3 for k in settings]
            print(f"| {name} | {batch} | {ms[0]:.1f} | {ms[1]:.1f} | {ms[1] / ms[0]:.2f} |", flush=True)
    for apply in settings.values():  # leave the "after" setting in place
        apply()


if __name__ == "__main__":
    main()
