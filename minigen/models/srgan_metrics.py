"""How good is a super-resolution? Distortion and perception side by side (Blau & Michaeli
2018), for each method m: nearest, bilinear and bicubic enlargement of the LR image (the
baselines), and G after phase 1 (pixels) and after phase 2 (adversarial), on held-out
high-resolution images y with x_LR = area(y, scale):

    m_psnr:      PSNR(m(x_LR), y) in dB, images in [0, 1] (``minigen.metrics.image_quality``)
    m_ssim:      SSIM(m(x_LR), y) (Gaussian window 11, sigma 1.5; Wang et al. 2004)
    m_accuracy:  share of m(x_LR) the digit classifier reads as the true label (does a 7 stay
                 a 7?); ``truth_accuracy`` is the classifier on y itself, the ceiling
    m_fld:       the Frechet distance between the classifier's features of all m(x_LR) and of
                 all y (``minigen.metrics.frechet_distance``): 0 when the outputs' feature
                 statistics are the truth's; a blurred digit's features sit off the real ones.

Distortion (PSNR, SSIM) rewards the conditional mean; perception (FLD) rewards outputs that
look like samples of the data. The classifier metrics need 1 x 28 x 28 images and a classifier.
"""
import numpy as np

from minigen import backend
from minigen.data import from_symmetric
from minigen.metrics.image_quality import psnr, ssim

BASELINES = ("nearest", "bilinear", "bicubic")


def unit(x):
    return from_symmetric(backend.as_numpy(getattr(x, "data", x)).astype(np.float64))


def outputs(model, images):
    """{method: its output for every image, in [0, 1]}: the baselines, then each trained phase."""
    out = {m: unit(model.baseline(images, m)) for m in BASELINES}
    for phase, net in model.generators().items():   # no batch norm or dropout: one mode
        out[phase] = unit(model.super_resolve(images, net))
    return out


def evaluate(model, images, labels=None):
    """The metrics above, as a flat dict {"bicubic_psnr": ..., "phase1_fld": ..., ...}."""
    from minigen.metrics import classify, frechet_distance, gaussian_stats, load_classifier
    truth = unit(images)
    results = {}
    classifier = load_classifier(model.classifier) if model.classifier else None
    if classifier is not None:
        truth_probs, truth_features = classify(truth.astype(np.float32), classifier)
        reference = gaussian_stats(truth_features)
        if labels is not None:
            labels = np.asarray(backend.as_numpy(labels))
            results["truth_accuracy"] = float((truth_probs.argmax(axis=1) == labels).mean())
    for method, y_hat in outputs(model, images).items():
        results[f"{method}_psnr"] = psnr(y_hat, truth)
        results[f"{method}_ssim"] = ssim(y_hat, truth)
        if classifier is not None:
            probs, features = classify(y_hat.astype(np.float32), classifier)
            if labels is not None:
                results[f"{method}_accuracy"] = float((probs.argmax(axis=1) == labels).mean())
            results[f"{method}_fld"] = frechet_distance(*gaussian_stats(features), *reference)
    return results


def table(results):
    """The metrics as rows, one per method: "method  PSNR  SSIM  accuracy  FLD"."""
    methods = [m for m in BASELINES + ("phase1", "phase2") if f"{m}_psnr" in results]
    lines = [f"{'method':<9} {'PSNR dB':>8} {'SSIM':>6} {'accuracy':>9} {'FLD':>8}"]
    for m in methods:
        acc, fld = results.get(f"{m}_accuracy"), results.get(f"{m}_fld")
        lines.append(f"{m:<9} {results[f'{m}_psnr']:>8.2f} {results[f'{m}_ssim']:>6.3f} "
                     f"{'' if acc is None else f'{acc:.3f}':>9} {'' if fld is None else f'{fld:.2f}':>8}")
    if "truth_accuracy" in results:
        lines.append(f"{'truth':<9} {'':>8} {'':>6} {results['truth_accuracy']:>9.3f} {0.0:>8.2f}")
    return "\n".join(lines)
