"""Sample-quality metrics (issue 5): the Frechet distance, Inception score and class
histograms against answers known in closed form, the shipped classifier's accuracy, and the
command that trains it. No generator is trained here."""
import json

import numpy as np
import pytest

import minigen as mg
from minigen.data import load_dataset, to_unit
from minigen.metrics import (DigitClassifier, class_coverage, classifier_path, classify,
                             confident_fraction, format_report, frechet_distance, gaussian_stats,
                             inception_score, label_accuracy, load_classifier, sample_quality,
                             sqrtm_psd)
from minigen.metrics import train_classifier


def random_covariance(rng, d, rank=None):
    """A random symmetric PSD matrix A = B B^T / d (singular when rank < d)."""
    b = rng.standard_normal((d, rank or d))
    return b @ b.T / d


def one_hot_probs(classes, k=10, confidence=1.0):
    """Rows putting ``confidence`` on the given class and the rest evenly on the others."""
    p = np.full((len(classes), k), (1 - confidence) / (k - 1))
    p[np.arange(len(classes)), classes] = confidence
    return p


@pytest.fixture(scope="module")
def embedded():
    """The embedded split's images in [0, 1] and labels: (train, train labels, test, test labels)."""
    train, test = load_dataset("embedded", "train"), load_dataset("embedded", "test")
    return to_unit(train.images), train.labels, to_unit(test.images), test.labels


# --- the Frechet distance -----------------------------------------------------------------


def test_matrix_square_root_squares_back_to_the_matrix():
    rng = np.random.default_rng(0)
    for rank in (None, 3):  # full rank, and singular (eigenvalues 0 that rounding makes < 0)
        a = random_covariance(rng, 8, rank)
        s = sqrtm_psd(a)
        np.testing.assert_allclose(s, s.T, atol=1e-12)
        np.testing.assert_allclose(s @ s, a, atol=1e-10)
        assert np.linalg.eigvalsh(s).min() > -1e-10


def test_frechet_distance_of_identical_statistics_is_zero():
    rng = np.random.default_rng(1)
    mu, sigma = gaussian_stats(rng.standard_normal((500, 16)) @ rng.standard_normal((16, 16)))
    # tr(S + S - 2 (S S)^(1/2)) cancels to rounding in the eigenvalues, about 1e-12 of tr(S)
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-9 * np.trace(sigma)


def test_frechet_distance_of_a_pure_mean_shift_is_the_squared_distance():
    rng = np.random.default_rng(2)
    sigma = random_covariance(rng, 10)
    mu1, mu2 = rng.standard_normal(10), rng.standard_normal(10)
    expected = ((mu1 - mu2) ** 2).sum()
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_frechet_distance_of_diagonal_gaussians_has_the_closed_form():
    # Commuting covariances: (S1 S2)^(1/2) = diag(sqrt(a b)), so FD = sum (sqrt a - sqrt b)^2
    a, b = np.array([1.0, 4.0, 9.0, 0.25]), np.array([4.0, 1.0, 9.0, 1.0])
    mu = np.zeros(4)
    expected = ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()  # 1 + 1 + 0 + 0.25
    assert frechet_distance(mu, np.diag(a), mu, np.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_is_symmetric_for_non_commuting_covariances():
    rng = np.random.default_rng(3)
    s1, s2 = random_covariance(rng, 6), random_covariance(rng, 6)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(frechet_distance(mu2, s2, mu1, s1), rel=1e-9)
    assert frechet_distance(mu1, s1, mu2, s2) > 0


def test_frechet_distance_of_samples_approaches_the_closed_form():
    # N(0, I) vs N(delta, I) in d = 8: the exact FD is |delta|^2 = 4. From n = 20,000 samples
    # each, the estimate is biased up by about the covariance noise, roughly d^2 / (2 n) per
    # set (0.003 here), and |mean difference|^2 has standard deviation about
    # 2 |delta| sqrt(2 / n) = 0.04; 0.15 is over 3 of those.
    rng = np.random.default_rng(4)
    n, d = 20_000, 8
    delta = np.full(d, 2 / np.sqrt(d))
    fd = frechet_distance(*gaussian_stats(rng.standard_normal((n, d))),
                          *gaussian_stats(rng.standard_normal((n, d)) + delta))
    assert fd == pytest.approx(4.0, abs=0.15)


def test_gaussian_stats_uses_the_unbiased_covariance():
    x = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]])
    mu, sigma = gaussian_stats(x)
    np.testing.assert_allclose(mu, [2.0, 2.0])
    centred = x - mu
    np.testing.assert_allclose(sigma, centred.T @ centred / 2)  # N - 1 = 2, not N = 3
    assert sigma.dtype == np.float64


# --- the class-probability scores ---------------------------------------------------------


def test_inception_score_of_confident_predictions_spread_evenly_is_the_number_of_classes():
    probs = one_hot_probs(np.repeat(np.arange(10), 7))
    assert inception_score(probs) == pytest.approx(10.0, rel=1e-9)


def test_inception_score_of_identical_predictions_is_one():
    probs = np.tile(np.random.default_rng(5).dirichlet(np.ones(10)), (50, 1))
    assert inception_score(probs) == pytest.approx(1.0, abs=1e-9)


def test_inception_score_of_confident_predictions_on_two_classes_is_two():
    assert inception_score(one_hot_probs(np.array([3, 7] * 20))) == pytest.approx(2.0, rel=1e-9)


def test_class_coverage_counts_classes_over_the_threshold_and_kl_from_uniform():
    # 100 predictions: 40 x class 0, 30 x class 1, 26 x class 2, 4 x class 3 (under 5%)
    classes = np.repeat([0, 1, 2, 3], [40, 30, 26, 4])
    covered, kl = class_coverage(one_hot_probs(classes, confidence=0.6))
    share = np.array([0.40, 0.30, 0.26, 0.04])
    assert covered == 3
    assert kl == pytest.approx((share * np.log(10 * share)).sum(), rel=1e-12)


def test_class_coverage_of_a_balanced_histogram_is_full_with_zero_kl():
    covered, kl = class_coverage(one_hot_probs(np.repeat(np.arange(10), 5)))
    assert covered == 10 and kl == pytest.approx(0.0, abs=1e-12)


def test_class_coverage_of_one_class_has_kl_log_k():
    covered, kl = class_coverage(one_hot_probs(np.full(30, 4)))
    assert covered == 1 and kl == pytest.approx(np.log(10), rel=1e-12)


def test_confident_fraction_counts_top_probabilities_at_or_over_the_threshold():
    probs = np.concatenate([one_hot_probs([1, 2], confidence=0.95), one_hot_probs([3], confidence=0.9),
                            one_hot_probs([4, 5, 6, 7, 8], confidence=0.5)])
    assert confident_fraction(probs) == pytest.approx(3 / 8)


def test_label_accuracy_is_the_share_classified_as_requested():
    probs = one_hot_probs(np.array([0, 1, 2, 3, 4]), confidence=0.7)
    assert label_accuracy(probs, [0, 1, 2, 9, 9]) == pytest.approx(3 / 5)


# --- the shipped classifier ---------------------------------------------------------------


def test_the_shipped_classifier_is_at_least_98_percent_right_on_the_embedded_test_split(embedded):
    _, _, test, test_labels = embedded
    probs, features = classify(test, load_classifier("mnist"))
    assert probs.shape == (500, 10) and features.shape[0] == 500
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    errors = int((probs.argmax(axis=1) != test_labels).sum())
    assert errors <= 10, f"{errors} errors in 500"


def test_the_shipped_classifier_has_at_most_64_features_and_a_record():
    # At most 64, so 500 held-out images estimate the 64 x 64 feature covariance well
    _, features = classify(np.zeros((2, 1, 28, 28), np.float32), load_classifier())
    assert features.shape[1] <= 64
    record = json.loads(classifier_path("mnist").with_suffix(".json").read_text())
    assert record["test_accuracy"] >= 0.98 and "train_classifier" in record["command"]


def test_classify_accepts_tensors_and_arrays_alike(embedded):
    x = embedded[2][:7]
    a, b = classify(x, load_classifier()), classify(mg.tensor(x), load_classifier(), batch_size=3)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-5, atol=1e-6)


def test_a_missing_classifier_names_its_path_and_the_command_that_trains_it():
    with pytest.raises(FileNotFoundError, match=r"nowhere_classifier\.npz.*train_classifier"):
        load_classifier("nowhere")


def test_real_test_images_score_near_the_real_floor_far_below_noise(embedded):
    train, train_labels, test, test_labels = embedded
    fake = train[-500:]  # real digits posing as samples
    m = sample_quality(fake, test, train, labels=train_labels[-500:])
    # Real vs real differs only by sampling noise: the "fake" set is another random draw
    # of the same kind as the floor's subset, so its FLD should be within a factor 3 of the
    # floor (two draws of the same noise), while noise images land orders of magnitude away
    # (at least 20x the floor leaves plenty of room).
    assert m["fld"] < 3 * m["fld_floor"] + 1e-6 and m["fld_noise"] > 20 * m["fld_floor"]
    assert m["classes_covered"] == 10 and m["class_kl"] < 0.05
    assert m["inception_score"] > 8 and m["confident_fraction"] > 0.9
    assert m["label_accuracy"] > 0.97
    report = format_report(m)
    assert "real-vs-real floor" in report and "noise ceiling" in report and "requested label" in report


def test_sample_quality_is_reproducible_and_drops_label_accuracy_without_labels(embedded):
    train, _, test, _ = embedded
    a = sample_quality(train[:200], test, train)
    assert a == sample_quality(train[:200], test, train) and "label_accuracy" not in a


# --- the command that trains it -----------------------------------------------------------


def test_train_classifier_command_writes_weights_and_a_record(tmp_path):
    out = tmp_path / "tiny_classifier.npz"
    record = train_classifier.main(["--steps", "2", "--batch-size", "16", "--out", str(out),
                                    "--no-progress"])
    assert out.is_file() and out.with_suffix(".json").is_file()
    model = DigitClassifier()
    model.load_state_dict(mg.load(out)["model"])  # a complete, loadable state dict
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved == record and saved["steps"] == 2 and saved["test_images"] == 500
    assert {"test_accuracy", "command", "date", "machine"} <= set(saved)


def test_bilinear_reads_pixels_at_the_given_points():
    x = np.random.default_rng(6).random((2, 3, 5, 5)).astype(np.float32)
    py, px = np.mgrid[0:5, 0:5].astype(np.float64)
    swap = np.broadcast_to(px, (2, 5, 5)), np.broadcast_to(py, (2, 5, 5))
    np.testing.assert_array_equal(train_classifier.bilinear(x, *swap), x.transpose(0, 1, 3, 2))
    # halfway between columns 1 and 2 of row 3: the mean of the two; off the image: 0
    sy, sx = np.full((2, 5, 5), 3.0), np.full((2, 5, 5), 1.5)
    sx[:, 0, 0] = -7.0
    out = train_classifier.bilinear(x, sy, sx)
    np.testing.assert_allclose(out[:, :, 1, 1], (x[:, :, 3, 1] + x[:, :, 3, 2]) / 2, rtol=1e-6)
    assert np.all(out[:, :, 0, 0] == 0)


def test_random_affine_with_no_range_is_the_identity():
    x = np.random.default_rng(7).random((4, 1, 28, 28)).astype(np.float32)
    out = train_classifier.random_affine(x, np.random.default_rng(0), 0.0, 0.0, 0.0)
    np.testing.assert_allclose(out, x, atol=1e-6)


def dot_centres(out):
    """Mass and centre of mass (y, x) of each image (N, H, W)."""
    py, px = np.mgrid[0:out.shape[1], 0:out.shape[2]]
    mass = out.sum(axis=(1, 2))
    return mass, (out * py).sum(axis=(1, 2)) / mass, (out * px).sum(axis=(1, 2)) / mass


def test_random_affine_shifts_a_dot_by_at_most_two_pixels():
    # Shift alone: output pixel p reads the input at p - t, so a dot becomes bilinear
    # weights that sum to 1 and whose centre of mass is exactly the dot moved by t.
    x = np.zeros((200, 1, 29, 29), np.float32)
    x[:, 0, 14, 14] = 1.0
    mass, cy, cx = dot_centres(train_classifier.random_affine(
        x, np.random.default_rng(0), max_degrees=0.0, max_scale=0.0)[:, 0])
    np.testing.assert_allclose(mass, 1.0, atol=1e-5)
    assert np.abs(cy - 14).max() <= 2 and np.abs(cx - 14).max() <= 2
    assert np.abs(cy - 14).max() > 1.5  # the shifts do reach out towards 2


def test_random_affine_rotates_and_scales_about_the_centre():
    # Without a shift, a dot at the centre c reads the input at c + R(-theta)(p - c) / s,
    # which is point-symmetric about c, so its centre of mass stays at c exactly.
    x = np.zeros((50, 1, 29, 29), np.float32)
    x[:, 0, 14, 14] = 1.0
    mass, cy, cx = dot_centres(train_classifier.random_affine(
        x, np.random.default_rng(0), max_degrees=45.0, max_shift=0.0)[:, 0])
    assert np.all(mass > 0.5)
    np.testing.assert_allclose(cy, 14.0, atol=1e-6)
    np.testing.assert_allclose(cx, 14.0, atol=1e-6)


def test_the_vae_reports_the_classifier_scores_of_its_prior_samples():
    from minigen.models import get_model_class
    cls = get_model_class("vae")
    m = cls(dict(cls.defaults, latent=2)).prior_sample_metrics()  # untrained: grey blobs
    assert {"fld", "fld_floor", "fld_noise", "inception_score", "classes_covered",
            "class_kl", "confident_fraction"} <= set(m)
    assert m["fld"] > 3 * m["fld_floor"]


def test_loading_the_classifier_leaves_the_training_generator_where_it_was():
    """Scoring a model mid-run loads the classifier; that must not shift the run's later draws."""
    import minigen as mg
    from minigen.metrics import classifier as clf
    mg.manual_seed(3)
    want = mg.randn(4).numpy()
    mg.manual_seed(3)
    clf._cache.clear()
    clf.load_classifier()
    np.testing.assert_array_equal(mg.randn(4).numpy(), want)
