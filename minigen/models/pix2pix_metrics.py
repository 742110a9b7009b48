"""How right is a paired translation? Every held-out input x comes with its truth y, so

    PSNR and L1 of G(x) against y   (``cyclegan_metrics.psnr`` and ``l1``, images in [0, 1])
    digit accuracy                  share of outputs that minigen's MNIST classifier reads as
                                    the input's digit (``digit_accuracy_truth``: the same for
                                    the truths y, the classifier's ceiling on this task)
    FLD                             Frechet distance between the classifier's features of the
                                    outputs and of the truths (0 for outputs equal to the truths)
    dropout_spread                  mean over pixels of the standard deviation of G(x) across 4
                                    dropout masks (the paper's noise; they found it small)

The classifier reads grey digits; a neon output is read back through the inverse of T's
colour map, v = <rgb - background, stroke - background> / |stroke - background|^2, a dilated
digit, then eroded (the min over each 3x3 neighbourhood): dilation then erosion (a closing)
gives back the digit up to filled gaps, which the classifier reads nearly as well as the
originals (on the embedded test split 96.8% against 98.0%; the dilated digits alone: 91.4%).
The truths' accuracy through the same reading is reported beside the outputs'. On a folder of pairs (no
labels) only PSNR, L1 and the spread are reported.
"""
import numpy as np

from minigen import backend
from minigen.data.unpaired import BACKGROUND, STROKE, dilate3x3

from .cyclegan_metrics import digit_accuracy, l1, psnr, unit


def neon_to_grey(rgb):
    """(N, 3, H, W) neon images in [0, 1] -> (N, 1, H, W) digits in [0, 1]: T's colour map
    inverted (a dilated digit), then eroded 3x3 (module doc)."""
    bg = np.asarray(BACKGROUND, dtype=np.float32).reshape(1, 3, 1, 1)
    d = np.asarray(STROKE, dtype=np.float32).reshape(1, 3, 1, 1) - bg
    v = ((np.asarray(rgb, dtype=np.float32) - bg) * d).sum(axis=1, keepdims=True) / float((d * d).sum())
    return -dilate3x3(-np.clip(v, 0, 1))   # erosion: the min is minus the max of minus


def as_digits(images_unit, task_side):
    """Grey digits from outputs of kind ``task_side`` ("digit", "neon"), else None."""
    if task_side == "digit":
        return images_unit
    if task_side == "neon":
        return neon_to_grey(images_unit)
    return None


def fld(images_unit, reference_unit):
    """Frechet distance between the MNIST classifier's features of two sets of 1 x 32 x 32
    digits (cropped to 28 x 28); None without the classifier."""
    from minigen.metrics import classifier_path, classify, load_classifier
    from minigen.metrics.sample_quality import frechet_distance, gaussian_stats
    if not classifier_path("mnist").exists():
        return None
    classifier = load_classifier("mnist")
    feats = [classify(v[:, :, 2:30, 2:30].astype(np.float32), classifier)[1] for v in (images_unit, reference_unit)]
    return float(frechet_distance(*gaussian_stats(feats[0]), *gaussian_stats(feats[1])))


def output_kind(model):
    """What G outputs: "digit", "neon", "outline" (embedded) or None (a folder's B or A)."""
    if model.task == "ab":
        return None
    a, b = ("digit", "neon") if model.task == "neon" else ("outline", "digit")
    return b if model.direction == "AtoB" else a


def evaluate(model, images, labels=None, spread_samples=4):
    """The metrics above for a Pix2Pix ``model`` on held-out pair images in [-1, 1]."""
    x, y = model.split(images)
    fake, truth = unit(model.translate(x)), unit(y)
    out = {"psnr": psnr(fake, truth), "l1": l1(fake, truth)}
    digits = as_digits(fake, output_kind(model))
    if digits is not None and labels is not None:
        real = as_digits(truth, output_kind(model))
        acc = digit_accuracy(digits, labels)
        if acc is not None:
            out["digit_accuracy"] = acc
            out["digit_accuracy_truth"] = digit_accuracy(real, labels)
            out["fld"] = fld(digits, real)
    n = min(len(x), 100)
    noisy = np.stack([unit(model.translate(x[:n], noise=True)) for _ in range(spread_samples)])
    out["dropout_spread"] = float(noisy.std(axis=0).mean())
    return out
