"""Train the digit classifier that scores samples, and write the weights minigen ships.

    python -m minigen.metrics.train_classifier                      # embedded MNIST, ~2 CPU-minutes
    python -m minigen.metrics.train_classifier --data mnist --epochs 5
    python -m minigen.metrics.train_classifier --steps 3 --out /tmp/c.npz   # a smoke test

Cross-entropy and Adam on the training split, each image freshly rotated by up to 10
degrees, scaled by up to 10% and shifted by up to 2 pixels (``random_affine``): with only
4,500 images the network must be told that a slanted or moved digit is the same digit.
The learning rate decays linearly to 0 over the run. At the end the held-out test split
is classified once and its accuracy recorded.

Writes ``OUT`` (``mg.save({"model": state_dict})``, float32) and ``OUT`` with suffix
``.json``: test accuracy, the command, the date and the machine.
"""
import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import minigen as mg
from minigen.data import DataLoader, load_dataset, to_unit
from minigen.nn import functional as F
from minigen.optim import Adam
from minigen.optim.lr_scheduler import LambdaLR

from .classifier import DigitClassifier, classifier_path, classify

MAX_DEGREES, MAX_SCALE, MAX_SHIFT = 10.0, 0.1, 2.0


def bilinear(x, sy, sx):
    """out[n, c, i, j] = x[n, c] read at the real-valued point (sy[n, i, j], sx[n, i, j]):
    the four surrounding pixels weighted by (1 - fy)(1 - fx), (1 - fy) fx, fy (1 - fx), fy fx,
    with (fy, fx) the point's fractional part and 0 for pixels outside the image.
    x (N, C, H, W); sy, sx (N, H, W)."""
    n, _, h, w = x.shape
    y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
    fy, fx = sy - y0, sx - x0
    batch = np.arange(n)[:, None, None]
    out = np.zeros_like(x)
    for dy, dx, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yi, xi = y0 + dy, x0 + dx
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        # x[batch, :, yi, xi] has shape (N, H, W, C): NumPy puts the advanced-index axes first
        pixels = x[batch, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        out += ((weight * inside)[..., None] * pixels).transpose(0, 3, 1, 2).astype(x.dtype)
    return out


def random_affine(x, rng, max_degrees=MAX_DEGREES, max_scale=MAX_SCALE, max_shift=MAX_SHIFT):
    """Each image of x (N, C, H, W) rotated by theta, scaled by s and shifted by t, each drawn
    uniformly (|theta| <= max_degrees, |s - 1| <= max_scale, |t_y|, |t_x| <= max_shift pixels)
    about the centre c. Output pixel p reads the input at the point that lands on it,

        q = c + R(-theta) (p - c - t) / s,

    by bilinear interpolation (zeros, the background, come in from outside)."""
    n, _, h, w = x.shape
    theta = np.deg2rad(rng.uniform(-max_degrees, max_degrees, (n, 1, 1)))
    s = rng.uniform(1 - max_scale, 1 + max_scale, (n, 1, 1))
    ty, tx = rng.uniform(-max_shift, max_shift, (2, n, 1, 1))
    cy, cx = (h - 1) / 2, (w - 1) / 2
    py, px = np.mgrid[0:h, 0:w]
    dy, dx = py - cy - ty, px - cx - tx
    sy = cy + (np.cos(theta) * dy - np.sin(theta) * dx) / s
    sx = cx + (np.sin(theta) * dy + np.cos(theta) * dx) / s
    return bilinear(x, sy, sx)


def accuracy(classifier, images_unit, labels):
    """Fraction of images whose most probable class is the label."""
    probs, _ = classify(images_unit, classifier)
    return float((probs.argmax(axis=1) == labels).mean())


def train(data="embedded", epochs=30, batch_size=128, lr=2e-3, seed=0, steps=None, progress=True):
    """Train a DigitClassifier on ``data``'s train split; returns (model in eval mode, the
    number of optimizer steps taken). ``steps`` stops early after that many steps."""
    mg.manual_seed(seed)  # the layers' initial weights and dropout's masks
    train_set = load_dataset(data, "train")
    loader = DataLoader(train_set, batch_size, shuffle=True, drop_last=True, seed=seed,
                        transform=to_unit, as_tensor=False)
    total = epochs * len(loader) if steps is None else min(steps, epochs * len(loader))
    model = DigitClassifier()
    opt = Adam(model.parameters(), lr=lr)
    # LambdaLR counts "epochs"; stepped once per batch, so the decay is per step
    schedule = LambdaLR(opt, lambda t: 1.0 - t / total)
    rng = np.random.default_rng(seed)  # the augmentation's draws
    batches = (batch for _ in range(epochs) for batch in loader)
    model.train()
    bar = tqdm(range(total), unit="step", disable=not progress)
    for step, (images, labels) in zip(bar, batches):
        loss = F.cross_entropy(model(mg.tensor(random_affine(images, rng))), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        bar.set_postfix(epoch=step // len(loader), loss=f"{loss.item():.3f}")
    return model.eval(), total


def machine():
    """A short description of where this ran (the training time depends on it)."""
    return (f"{platform.node()} ({platform.platform()}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, NumPy {np.__version__})")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigen.metrics.train_classifier",
        description="Train the small CNN whose predictions and 64 penultimate features score "
                    "generated digits (minigen.metrics), and write its weights and a .json "
                    "record (test accuracy, command, date, machine) beside them.")
    parser.add_argument("--data", default="embedded", choices=["embedded", "mnist", "fashion-mnist"],
                        help="training data set (its 'train' split; accuracy on its 'test' split); "
                             "default: embedded, the 4,500 + 500 MNIST digits shipped with minigen")
    parser.add_argument("--epochs", type=int, default=30, help="passes over the training split (default 30)")
    parser.add_argument("--batch-size", type=int, default=128, help="images per step (default 128)")
    parser.add_argument("--lr", type=float, default=2e-3,
                        help="Adam's initial learning rate, decayed linearly to 0 (default 2e-3)")
    parser.add_argument("--steps", type=int, default=None,
                        help="stop after this many steps (a quick smoke test); default: all epochs")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the initial weights, batch order and augmentation (default 0)")
    parser.add_argument("--out", type=Path, default=None,
                        help="weights file to write (default: the package's weights/<name>_classifier.npz, "
                             "name 'mnist' for embedded and mnist, 'fashion-mnist' for fashion-mnist)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be at least 1")
    out = args.out or classifier_path("fashion-mnist" if args.data == "fashion-mnist" else "mnist")

    start = time.perf_counter()
    model, steps = train(args.data, args.epochs, args.batch_size, args.lr, args.seed, args.steps,
                         progress=not args.no_progress)
    seconds = time.perf_counter() - start
    test = load_dataset(args.data, "test")
    test_accuracy = accuracy(model, to_unit(test.images), test.labels)
    errors = int(round((1 - test_accuracy) * len(test)))

    out.parent.mkdir(parents=True, exist_ok=True)
    mg.save({"model": model.state_dict()}, out)
    record = {
        "data": args.data, "test_accuracy": test_accuracy, "test_errors": errors,
        "test_images": len(test), "train_images": len(load_dataset(args.data, "train")),
        "steps": steps, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "seed": args.seed, "train_seconds": round(seconds, 1),
        "command": " ".join([parser.prog] + (sys.argv[1:] if argv is None else list(argv))),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"test accuracy {test_accuracy:.2%} ({errors} errors in {len(test)}), "
          f"{steps} steps in {seconds:.0f} s; wrote {out} and {out.with_suffix('.json').name}")
    return record


if __name__ == "__main__":
    main()
