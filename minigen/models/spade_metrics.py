"""Does a generated image follow its label map? SPADE's evaluation (Park et al. 2019, 4.1):
segment the generated image with a network trained on real images, and compare the predicted
labels with the map the image was generated from.

    segmenter     a small fully-convolutional network (4 convolutions, a 9-pixel field of
                  view), trained once on the real training renderings, deterministically
                  (``python -m minigen.models.spade_metrics`` writes its weights to
                  minigen/metrics/weights/semantic_segmenter.npz, which ship with minigen)
    mean IoU      per label c: IoU_c = |pred = c and map = c| / |pred = c or map = c| over all
                  pixels of the set, averaged over the labels present; on generated images
                  and, the ceiling, on the real test renderings
    Frechet       Frechet distance between Gaussians fitted to the segmenter's features
    distance      (its last hidden layer, averaged over each image: 32 numbers per image) of
                  generated and real test images (the FLD of ``minigen.metrics``, with the
                  segmenter in place of the grey-digit classifier); the floor is real training
                  renderings against real test ones
    diversity     for each of 20 test maps, 8 images from 8 noise vectors: mean L1 distance
                  (in [0, 1] units) between every two of them; the real diversity is the same
                  for 8 renderings of each map drawn with 8 seeds (what there is to generate)
"""
import json
from itertools import combinations
from pathlib import Path

import numpy as np

import minigen as mg
from minigen import backend, nn
from minigen.data import to_symmetric
from minigen.data.semantic import N_LABELS, render, semantic_synthesis
from minigen.metrics import frechet_distance, gaussian_stats
from minigen.nn import functional as F

WEIGHTS = Path(__file__).resolve().parent.parent / "metrics" / "weights" / "semantic_segmenter.npz"
TRAIN_COMMAND = "python -m minigen.models.spade_metrics"
SEGMENTER_STEPS = 800


class Segmenter(nn.Module):
    """Images (N, 3, H, W) in [-1, 1] -> per-pixel label logits (N, 12, H, W)."""

    def __init__(self, n_labels=N_LABELS, width=32):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, width // 2, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(width // 2, width, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU())
        self.head = nn.Conv2d(width, n_labels, 1)

    def forward(self, x):
        return self.head(self.body(x))


def pixel_cross_entropy(logits, labels):
    """Mean over pixels of -log softmax(logits)[label]: logits (N, K, H, W), labels (N, H, W)."""
    k = logits.shape[1]
    flat = logits.permute(0, 2, 3, 1).reshape(-1, k)
    return F.cross_entropy(flat, np.asarray(labels).reshape(-1))


def train_segmenter(steps=SEGMENTER_STEPS, batch_size=32, lr=2e-3, seed=0):
    """The segmenter, trained on the real training renderings (Adam, fixed seed)."""
    from minigen.optim import Adam
    data = semantic_synthesis("train").images
    mg.manual_seed(seed)
    model = Segmenter()
    opt = Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        batch = data[rng.integers(len(data), size=batch_size)]
        loss = pixel_cross_entropy(model(mg.tensor(to_symmetric(batch[:, 1:]))), batch[:, 0])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


_cache = {}


def load_segmenter():
    """The shipped segmenter in eval mode (read once per process)."""
    if "model" not in _cache:
        if not WEIGHTS.is_file():
            raise FileNotFoundError(f"no semantic segmenter at {WEIGHTS}; train it with: {TRAIN_COMMAND}")
        model = Segmenter()
        model.load_state_dict(mg.load(WEIGHTS)["model"])
        _cache["model"] = model.eval()
    return _cache["model"]


def segment(segmenter, images, batch_size=250):
    """(predicted labels (N, H, W) int64, features (N, width) float64) for images in [-1, 1]."""
    x = backend.as_numpy(getattr(images, "data", images)).astype(np.float32)
    labels, features = [], []
    with mg.no_grad():
        for i in range(0, len(x), batch_size):
            h = segmenter.body(mg.tensor(x[i:i + batch_size]))
            labels.append(segmenter.head(h).numpy().argmax(axis=1))
            features.append(h.numpy().mean(axis=(2, 3)))
    return np.concatenate(labels), np.concatenate(features).astype(np.float64)


def mean_iou(pred, truth, n_labels=N_LABELS):
    """Mean over the labels present (in pred or truth) of |pred = c & truth = c| / |pred = c | truth = c|."""
    pred, truth = np.asarray(pred).ravel(), np.asarray(truth).ravel()
    ious = []
    for c in range(n_labels):
        p, t = pred == c, truth == c
        union = np.count_nonzero(p | t)
        if union:
            ious.append(np.count_nonzero(p & t) / union)
    return float(np.mean(ious))


def mean_pairwise_l1(groups):
    """groups (M, K, C, H, W) in [0, 1] -> mean over groups and pairs of mean |a - b|."""
    groups = np.asarray(groups, dtype=np.float64)
    return float(np.mean([np.abs(g[i] - g[j]).mean() for g in groups
                          for i, j in combinations(range(len(g)), 2)]))


def evaluate(model, images, n_diversity=20, k_diversity=8):
    """The metrics of the module doc for a SPADE ``model`` on label | RGB test images in [-1, 1]."""
    seg = load_segmenter()
    images = backend.as_numpy(getattr(images, "data", images))
    maps, real = model.split_array(images)
    fake = model.generate(maps, seed=1)
    pred_fake, feat_fake = segment(seg, fake)
    pred_real, feat_real = segment(seg, real)
    train = semantic_synthesis("train").images[:len(real)]
    _, feat_train = segment(seg, to_symmetric(train[:, 1:]))
    out = {"miou": mean_iou(pred_fake, maps), "miou_real": mean_iou(pred_real, maps)}
    out["miou_ratio"] = out["miou"] / out["miou_real"]
    out["pixel_accuracy"] = float((pred_fake == maps).mean())
    out["frechet_distance"] = frechet_distance(*gaussian_stats(feat_fake), *gaussian_stats(feat_real))
    out["frechet_distance_floor"] = frechet_distance(*gaussian_stats(feat_train), *gaussian_stats(feat_real))
    some = maps[:n_diversity]
    samples = [model.generate(some, seed=100 + k) for k in range(k_diversity)]   # K x (M, 3, H, W)
    out["diversity"] = mean_pairwise_l1((np.stack(samples, axis=1) + 1) / 2)
    renders = [render(some.astype(np.uint8), np.random.default_rng([7, k])) for k in range(k_diversity)]
    out["diversity_real"] = mean_pairwise_l1(np.stack(renders, axis=1))
    return out


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description="Train the semantic segmenter SPADE's eval uses "
                                                 "and write its weights (deterministic).")
    parser.add_argument("--steps", type=int, default=SEGMENTER_STEPS)
    parser.add_argument("--out", default=str(WEIGHTS))
    args = parser.parse_args(argv)
    model = train_segmenter(args.steps)
    test = semantic_synthesis("test").images
    pred, _ = segment(model, to_symmetric(test[:, 1:]))
    miou = mean_iou(pred, test[:, 0])
    mg.save({"model": model.state_dict()}, args.out)
    Path(args.out).with_suffix(".json").write_text(json.dumps(
        {"steps": args.steps, "test_miou": round(miou, 4), "command": TRAIN_COMMAND}, indent=2) + "\n")
    print(f"wrote {args.out}: mean IoU on the real test renderings {miou:.4f}")


if __name__ == "__main__":
    main()
