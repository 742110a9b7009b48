"""How good are generated digits? Scores from a digit classifier's view of them (issue 5).

The classifier (``classifier.py``) gives each image x a class distribution p(y|x) (N, 10)
and a feature vector h(x) (N, 64). From those:

* Frechet distance (FID's formula on our own features, so "FLD", not comparable with
  published FIDs): fit a Gaussian to the features of each image set and compare them,
      FD = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))
  0 for identical statistics. Sampling noise alone keeps it above 0, so a score is read
  against two calibration points computed the same way: the *floor*, real training images
  vs the held-out test images (what a perfect generator would score), and the *ceiling*,
  uniform noise vs the test images.
* Inception score (Salimans et al. 2016): IS = exp(E_x KL(p(y|x) || p(y))), p(y) the
  mean prediction; high when each sample is confidently one digit and all digits occur;
  between 1 and the number of classes.
* Class coverage: which digits the samples are classified as, and KL of that histogram
  from uniform (a mode-collapsed GAN covers few classes).
* Confident fraction: share of samples whose top class has probability >= 0.9.
* Label accuracy (class-conditional models): share classified as the label requested.
"""
import numpy as np

from .classifier import classify, load_classifier


def gaussian_stats(features):
    """mu = mean of the rows, sigma = 1/(N-1) sum_i (h_i - mu)(h_i - mu)^T (unbiased), float64;
    features (N, D) -> mu (D,), sigma (D, D)."""
    h = np.asarray(features, dtype=np.float64)
    return h.mean(axis=0), np.atleast_2d(np.cov(h, rowvar=False))


def sqrtm_psd(a):
    """The symmetric PSD square root S of a symmetric PSD matrix A (S @ S = A):
    A = V diag(w) V^T -> S = V diag(sqrt(w)) V^T. Eigenvalues that rounding pushed
    slightly below 0 are clipped to 0 (a true PSD matrix has none)."""
    a = (a + a.T) / 2  # symmetrise away rounding so eigh's assumption holds exactly
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1, sigma2):
    """tr((S1 S2)^(1/2)) = sum_i sqrt(lambda_i(R)), R = S1^(1/2) S2 S1^(1/2).

    S1 S2 is not symmetric, but it is similar to R (R = S1^(1/2) (S1 S2) S1^(-1/2)), which is
    symmetric PSD, so their eigenvalues agree and R's can be found stably with eigh
    (no SciPy sqrtm, no complex parts to discard)."""
    root1 = sqrtm_psd(sigma1)
    r = root1 @ sigma2 @ root1
    w = np.linalg.eigvalsh((r + r.T) / 2)
    return float(np.sqrt(np.clip(w, 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """FD = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)), the squared 2-Wasserstein
    distance between N(mu1, S1) and N(mu2, S2). mu (D,), sigma (D, D)."""
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    sigma1, sigma2 = np.asarray(sigma1, dtype=np.float64), np.asarray(sigma2, dtype=np.float64)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2)
                 - 2 * trace_sqrt_product(sigma1, sigma2))


def inception_score(probs, eps=1e-12):
    """IS = exp( 1/N sum_i sum_y p(y|x_i) (log p(y|x_i) - log p(y)) ), p(y) = 1/N sum_i p(y|x_i);
    probs (N, K). eps keeps log 0 finite (0 log 0 counts as 0)."""
    p = np.asarray(probs, dtype=np.float64)
    p_y = p.mean(axis=0, keepdims=True)
    kl = (p * (np.log(p + eps) - np.log(p_y + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def class_coverage(probs, threshold=0.05):
    """(number of classes c with share_c >= threshold, KL(share || uniform)), where
    share_c = fraction of images with argmax_y p(y|x) = c, and
    KL(share || uniform) = sum_c share_c log(K share_c) (0 when every class gets 1/K,
    log K when all images land in one class)."""
    p = np.asarray(probs)
    k = p.shape[1]
    share = np.bincount(p.argmax(axis=1), minlength=k) / len(p)
    seen = share > 0
    return int((share >= threshold).sum()), float((share[seen] * np.log(k * share[seen])).sum())


def confident_fraction(probs, threshold=0.9):
    """Fraction of images with max_y p(y|x) >= threshold."""
    return float((np.asarray(probs).max(axis=1) >= threshold).mean())


def label_accuracy(probs, labels):
    """Fraction of images with argmax_y p(y|x) = the label they were generated for."""
    return float((np.asarray(probs).argmax(axis=1) == np.asarray(labels)).mean())


def sample_quality(fake, real_test, real_train, labels=None, classifier=None, seed=0):
    """Every score above for ``fake`` images, with the FLD's calibration points.

    fake, real_test, real_train: NumPy (N, 1, 28, 28) in [0, 1]. real_test is the held-out
    reference; a random subset of real_train the size of ``fake`` gives the floor
    ``fld_floor`` and uniform noise of that size the ceiling ``fld_noise`` (same count, so
    the three share the small-sample bias of FD). ``seed`` fixes the subset and the noise.
    labels: (N,) requested classes of a conditional model, adds ``label_accuracy``.
    classifier: default ``load_classifier()``.
    Returns a dict of floats (``classes_covered`` an int)."""
    classifier = load_classifier() if classifier is None else classifier
    fake = np.asarray(fake, dtype=np.float32)
    n = len(fake)
    if n > len(real_train):
        raise ValueError(f"sample_quality: {n} fake images but only {len(real_train)} real training "
                         "images for the real-vs-real floor; pass at most that many")
    rng = np.random.default_rng(seed)
    real_subset = np.asarray(real_train)[rng.choice(len(real_train), n, replace=False)]
    noise = rng.random(fake.shape, dtype=np.float32)

    reference = gaussian_stats(classify(real_test, classifier)[1])
    probs, features = classify(fake, classifier)

    def fld(images_features):
        return frechet_distance(*gaussian_stats(images_features), *reference)

    covered, class_kl = class_coverage(probs)
    metrics = {"fld": fld(features),
               "fld_floor": fld(classify(real_subset, classifier)[1]),
               "fld_noise": fld(classify(noise, classifier)[1]),
               "inception_score": inception_score(probs),
               "classes_covered": covered, "class_kl": class_kl,
               "confident_fraction": confident_fraction(probs)}
    if labels is not None:
        metrics["label_accuracy"] = label_accuracy(probs, labels)
    return metrics


def format_report(metrics):
    """The scores as a few readable lines, each with what it is compared against."""
    lines = [f"FLD {metrics['fld']:.2f} (real-vs-real floor {metrics['fld_floor']:.2f}, "
             f"noise ceiling {metrics['fld_noise']:.0f}; lower is better)",
             f"Inception score {metrics['inception_score']:.2f} (max 10)",
             f"classes covered {metrics['classes_covered']}/10 (>= 5% of samples each), "
             f"KL from uniform {metrics['class_kl']:.3f} (0 = balanced, 2.303 = one class)",
             f"confident (top class p >= 0.9) {metrics['confident_fraction']:.1%}"]
    if "label_accuracy" in metrics:
        lines.append(f"classified as the requested label {metrics['label_accuracy']:.1%}")
    return "\n".join(lines)
