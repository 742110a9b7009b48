"""How right is an unpaired translation? On the embedded domains the truth is known: the
held-out test digits a come with b = T(a) (``minigen/data/unpaired.py``), so

    translation A -> B:  PSNR and L1 of G(a) against T(a)
    translation B -> A:  PSNR and L1 of F(T(a)) against a
    cycle:               PSNR of F(G(a)) against a, and of G(F(b)) against b
    content:             digit accuracy of F(T(a)) by minigen's MNIST classifier (when the
                         A images are 1 x 32 x 32 digits and the classifier is installed)

    PSNR(x, y) = 10 log10(1 / mse(x, y)) dB per image, x, y in [0, 1], averaged over images;
    an mse below 1e-10 counts as 1e-10 (100 dB), so a perfect translation gives a finite
    number. L1 is the mean absolute difference in [0, 1] units.

On data without a known T (horse2zebra) only the cycle numbers are reported.
"""
import numpy as np

from minigen import backend
from minigen.data import from_symmetric

from minigen.metrics.image_quality import MSE_FLOOR, psnr  # noqa: F401  (psnr lives with SSIM now)


def l1(x, y):
    x, y = (np.asarray(backend.as_numpy(getattr(v, "data", v)), dtype=np.float64) for v in (x, y))
    return float(np.abs(x - y).mean())


def unit(x):
    """[-1, 1] -> [0, 1] (``from_symmetric``) for a Tensor or a NumPy/CuPy array."""
    return from_symmetric(backend.as_numpy(getattr(x, "data", x)))


def digit_accuracy(images_unit, labels):
    """Share of 1 x 32 x 32 digit images (cropped to their central 28 x 28) that minigen's MNIST
    classifier reads as ``labels``; None when the images are not such digits or it is missing."""
    from minigen.metrics import classifier_path, classify, load_classifier
    if images_unit.shape[1:] != (1, 32, 32) or labels is None or not classifier_path("mnist").exists():
        return None
    probs, _ = classify(images_unit[:, :, 2:30, 2:30].astype(np.float32), load_classifier("mnist"))
    return float((probs.argmax(axis=1) == np.asarray(backend.as_numpy(labels))).mean())


def evaluate(model, images, labels=None, paired=True):
    """The metrics above for a CycleGAN ``model`` on A | B images in [-1, 1]."""
    a, b = model.split(images)
    fake_b, fake_a = model.translate(a, "AB"), model.translate(b, "BA")
    out = {"cycle_psnr_a": psnr(unit(model.translate(fake_b, "BA")), unit(a)),
           "cycle_psnr_b": psnr(unit(model.translate(fake_a, "AB")), unit(b))}
    if paired:
        out.update({"psnr_ab": psnr(unit(fake_b), unit(b)), "l1_ab": l1(unit(fake_b), unit(b)),
                    "psnr_ba": psnr(unit(fake_a), unit(a)), "l1_ba": l1(unit(fake_a), unit(a))})
        acc = digit_accuracy(unit(fake_a), labels)
        if acc is not None:
            out["digit_accuracy_ba"] = acc
            out["digit_accuracy_real"] = digit_accuracy(unit(a), labels)  # the classifier's own ceiling
    return out
