"""A run's metrics at each of its kept checkpoints: is quality still climbing when it stops?

    python benchmarks/checkpoint_curve.py RUN [--images 500] [--per-label]

Loads RUN's model once, then each ``checkpoints/ckpt_*.npz`` in step order, and prints what
``minigen eval`` would print for it (GANs: FLD, Inception score, ...; CycleGAN: PSNRs, digit
accuracy) on the first --images held-out images, one line per checkpoint. RESULTS.md quotes it
for the GAN and CycleGAN budgets. --per-label (cgan): at the last checkpoint, the share of each
requested digit that the classifier reads as that digit, and the commonest confusions.
"""
import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import minigen as mg  # noqa: E402
from minigen.cli import _gan_eval_options, _held_out_split  # noqa: E402
from minigen.data import from_symmetric, to_symmetric, to_unit  # noqa: E402
from minigen.models.gan import GANModel  # noqa: E402
from minigen.training import checkpoint as ckpt  # noqa: E402
from minigen.training.loop import load_run, load_split  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="a run directory")
    p.add_argument("--images", type=int, default=500, help="held-out images to score against (500)")
    p.add_argument("--per-label", action="store_true", help="cgan: accuracy per requested label")
    args = p.parse_args(argv)
    model, cfg, run = load_run(args.run)
    transform = to_symmetric if model.data_range == "symmetric" else to_unit
    test = load_split(cfg.model, cfg.data, _held_out_split(cfg.data, model))
    images = mg.tensor(transform(test.images[:args.images]))
    options = _gan_eval_options(cfg, transform) if isinstance(model, GANModel) else {}
    if hasattr(test, "paired"):
        options.update(labels=test.labels[:args.images], paired=test.paired)
    for path in sorted((run.path / "checkpoints").glob("ckpt_*.npz")):
        model.load_state_dict(ckpt.load_checkpoint(path, cfg.model)["model_state"])
        model.eval()
        metrics = model.evaluate(images, **options)
        print(path.stem, " ".join(f"{k}={v:.4g}" for k, v in metrics.items()), flush=True)
    if args.per_label:
        per_label(model)
    return 0


def per_label(model):
    """Per-label accuracy and the five commonest (requested, read) confusions of eval_batch."""
    from minigen.metrics import classify, load_classifier
    fake, labels = model.eval_batch(model.eval_samples)
    read = classify(from_symmetric(fake.numpy()), load_classifier())[0].argmax(axis=1)
    for k in range(model.n_classes):
        print(f"label {k}: {(read[labels == k] == k).mean():.2f}")
    wrong = Counter((int(a), int(b)) for a, b in zip(labels, read) if a != b)
    print("commonest confusions (requested, read): count", wrong.most_common(5))


if __name__ == "__main__":
    sys.exit(main())
