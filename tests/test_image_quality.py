"""PSNR and SSIM (minigen/metrics/image_quality.py) against closed forms and a direct loop."""
import numpy as np
import pytest

from minigen.metrics import image_quality as iq
from minigen.models import cyclegan_metrics

C1, C2 = 0.01 ** 2, 0.03 ** 2


def digits(n=3, size=16, seed=0):
    return np.random.default_rng(seed).random((n, 1, size, size))


def test_psnr_of_a_known_mse_and_the_floor():
    x = np.zeros((2, 1, 4, 4))
    assert iq.psnr(x, x + 0.1) == pytest.approx(20.0)    # mse 0.01 -> 10 log10(100)
    assert iq.psnr(x, x) == pytest.approx(100.0)
    assert cyclegan_metrics.psnr is iq.psnr              # the old import keeps working


def test_psnr_averages_per_image_values():
    x = np.zeros((2, 1, 2, 2))
    y = np.stack([np.full((1, 2, 2), 0.1), np.full((1, 2, 2), 0.01)])
    assert iq.psnr(x, y) == pytest.approx((20.0 + 40.0) / 2)


def test_gaussian_window_is_normalised_symmetric_with_sigma_1_5():
    g = iq.gaussian_window()
    assert len(g) == 11 and g.sum() == pytest.approx(1.0) and np.allclose(g, g[::-1])
    k = np.arange(11) - 5
    assert (g * k ** 2).sum() == pytest.approx(1.5 ** 2, rel=0.01)   # the truncation at +-5 costs < 1%


def test_ssim_of_an_image_with_itself_is_one():
    x = digits()
    assert iq.ssim(x, x) == pytest.approx(1.0, abs=1e-12)


def test_ssim_of_two_constant_images_is_the_luminance_term():
    """Zero variances: SSIM = (2ab + C1) / (a^2 + b^2 + C1) exactly."""
    a, b = 0.3, 0.7
    x, y = np.full((1, 1, 12, 12), a), np.full((1, 1, 12, 12), b)
    assert iq.ssim(x, y) == pytest.approx((2 * a * b + C1) / (a * a + b * b + C1), abs=1e-12)


def test_ssim_of_a_negated_texture_on_one_mean():
    """y = 2m - x on an image whose every window has mean m and variance v: equal means and
    variances, covariance -v, so SSIM = (-2v + C2) / (2v + C2) in every window."""
    x = np.full((1, 1, 22, 22), 0.5)
    x[..., ::2, ::2] += 0.2
    x[..., 1::2, 1::2] += 0.2
    x[..., ::2, 1::2] -= 0.2
    x[..., 1::2, ::2] -= 0.2           # a checkerboard of +-0.2 around 0.5
    g = iq.gaussian_window()
    sign = np.where((np.add.outer(np.arange(11), np.arange(11)) % 2) == 0, 1.0, -1.0)
    for shift in (0, 1):               # windows start on either colour
        s = sign if shift == 0 else -sign
        w2 = np.outer(g, g)
        mean = 0.5 + 0.2 * (w2 * s).sum()
        var = (w2 * (0.5 + 0.2 * s - mean) ** 2).sum()
        expected = (2 * mean * mean + C1) * (-2 * var + C2) / ((2 * mean * mean + C1) * (2 * var + C2))
        m = iq.ssim_map(x, 1 - x)      # 2m - x with m = 0.5
        assert m[0, 0, shift, 0] == pytest.approx(expected, abs=1e-12)


def ssim_loop(x, y, data_range=1.0):
    """The definition, one window at a time with the 2-D Gaussian weights."""
    w2 = np.outer(iq.gaussian_window(), iq.gaussian_window())
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    n, c, h, w = x.shape
    total = np.zeros(n)
    for i in range(h - 10):
        for j in range(w - 10):
            px, py = x[:, :, i:i + 11, j:j + 11], y[:, :, i:i + 11, j:j + 11]
            mx, my = (px * w2).sum(axis=(2, 3)), (py * w2).sum(axis=(2, 3))
            vx = (w2 * (px - mx[..., None, None]) ** 2).sum(axis=(2, 3))
            vy = (w2 * (py - my[..., None, None]) ** 2).sum(axis=(2, 3))
            cov = (w2 * (px - mx[..., None, None]) * (py - my[..., None, None])).sum(axis=(2, 3))
            s = (2 * mx * my + c1) * (2 * cov + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
            total += s.mean(axis=1)
    return float((total / ((h - 10) * (w - 10))).mean())


@pytest.mark.parametrize("data_range", [1.0, 2.0])
def test_ssim_matches_the_window_by_window_definition(data_range):
    x = digits(2, 14, seed=1) * data_range
    y = np.clip(x + 0.2 * data_range * np.random.default_rng(2).standard_normal(x.shape), 0, data_range)
    assert iq.ssim(x, y, data_range) == pytest.approx(ssim_loop(x, y, data_range), abs=1e-12)


def test_ssim_is_symmetric_and_below_one_for_different_images():
    x, y = digits(seed=3), digits(seed=4)
    assert iq.ssim(x, y) == pytest.approx(iq.ssim(y, x), abs=1e-15) and iq.ssim(x, y) < 0.5


def test_ssim_refuses_mismatched_or_tiny_images():
    with pytest.raises(ValueError, match="one shape"):
        iq.ssim(np.zeros((1, 1, 12, 12)), np.zeros((1, 1, 12, 13)))
    with pytest.raises(ValueError, match="smaller than the 11x11 window"):
        iq.ssim(np.zeros((1, 1, 7, 7)), np.zeros((1, 1, 7, 7)))
