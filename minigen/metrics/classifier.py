"""A small digit classifier, the yardstick for sample quality (issue 5).

    x (N, 1, 28, 28) in [0, 1] -> x - 0.5 -> conv 4x4 s2 (32) -> ReLU -> conv 4x4 s2 (64) -> ReLU
      -> (N, 64*7*7) -> linear -> ReLU -> features (N, 64) -> dropout -> linear -> logits (N, 10)

LeNet's shape with strided convolutions doing the downsampling (minigen has no pooling
layer). The penultimate layer is only 64 wide on purpose: the Frechet distance fits a
Gaussian to these features, and a 64 x 64 covariance (2,080 free numbers) is estimated
well from 500 held-out real images, where Inception's 2048 features would need many
thousands.

The trained weights ship inside the package (``weights/mnist_classifier.npz``), written
by ``python -m minigen.metrics.train_classifier``; ``load_classifier()`` reads them.
"""
from pathlib import Path

import numpy as np

import minigen as mg
from minigen import backend
from minigen import nn

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FEATURES = 64
TRAIN_COMMAND = "python -m minigen.metrics.train_classifier"


class DigitClassifier(nn.Module):
    """Images (N, 1, 28, 28) in [0, 1] -> logits (N, num_classes); ``features`` gives the
    penultimate activations (N, 64) that the Frechet distance compares."""

    def __init__(self, num_classes=10, dropout=0.3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * 7 * 7, FEATURES), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(FEATURES, num_classes))

    def features(self, x):
        """x (N, 1, 28, 28) in [0, 1] -> h (N, 64), after the last ReLU.
        Centring at 0.5 keeps the first layer's inputs symmetric about zero."""
        return self.body(x - 0.5)

    def forward(self, x):
        """x (N, 1, 28, 28) in [0, 1] -> logits (N, 10)."""
        return self.head(self.features(x))


def classifier_path(name="mnist"):
    """Where the shipped weights of classifier ``name`` live."""
    return WEIGHTS_DIR / f"{name}_classifier.npz"


_cache = {}


def load_classifier(name="mnist"):
    """The shipped classifier ``name`` in eval mode, read once per process and cached."""
    if name not in _cache:
        path = classifier_path(name)
        if not path.is_file():
            raise FileNotFoundError(f"no trained {name} classifier at {path}; train it with: "
                                    f"{TRAIN_COMMAND} --out {path}")
        # building the layers draws their initial weights from minigen's generator; put its
        # state back, so scoring a model mid-training does not change the run's later draws
        state = mg.random.get_rng_state()
        try:
            model = DigitClassifier()
        finally:
            mg.random.set_rng_state(state)
        model.load_state_dict(mg.load(path)["model"])
        _cache[name] = model.eval()
    return _cache[name]


def classify(images_unit, classifier, batch_size=500):
    """Softmax probabilities p(y|x) (N, 10) and features (N, 64), both float64 NumPy,
    for images (N, 1, 28, 28) in [0, 1] (NumPy, CuPy or Tensor), in batches, no graph."""
    x = backend.as_numpy(getattr(images_unit, "data", images_unit)).astype(np.float32)
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"classify: expected images (N, 1, 28, 28) in [0, 1], got {x.shape}")
    probs, features = [], []
    with mg.no_grad():
        for start in range(0, len(x), batch_size):
            h = classifier.features(mg.tensor(x[start:start + batch_size]))
            probs.append(mg.softmax(classifier.head(h), axis=1).numpy())
            features.append(h.numpy())
    return (np.concatenate(probs).astype(np.float64), np.concatenate(features).astype(np.float64))
