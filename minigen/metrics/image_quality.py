"""Full-reference image quality: how close is an image x to its truth y?

* PSNR (peak signal-to-noise ratio), for images in [0, 1] (peak 1):
      PSNR(x, y) = 10 log10(1 / mse(x, y)) dB,   mse = mean over pixels of (x - y)^2,
  per image, then averaged over images; an mse below 1e-10 counts as 1e-10 (100 dB), so a
  perfect reconstruction gives a finite number. +3 dB is half the squared error; +10 dB a tenth.
* SSIM (structural similarity; Wang, Bovik, Sheikh & Simoncelli 2004), per 11 x 11 Gaussian
  window (sigma 1.5) with local means mu, variances sigma^2 and covariance sigma_xy:
      SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),
      C1 = (0.01 L)^2, C2 = (0.03 L)^2, L = the data range (1 here);
  the map is averaged over the windows that fit inside the image (the paper's MATLAB code,
  ``filter2(window, img, 'valid')``: 18 x 18 windows on a 28 x 28 digit), then over channels
  and images. 1 only for identical images; it compares local brightness, contrast and
  structure (correlation) rather than squared error, so a blur that PSNR barely punishes
  loses structure, and SSIM sees it.

Both take NumPy/CuPy arrays or Tensors (N, C, H, W) and return a float (computed in float64
on the CPU); neither is differentiable (they are yardsticks, not losses).
"""
import numpy as np

from minigen import backend

MSE_FLOOR = 1e-10
SSIM_WINDOW, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03


def _float64(v):
    return np.asarray(backend.as_numpy(getattr(v, "data", v)), dtype=np.float64)


def _check_pair(op, x, y):
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f"{op}: expected two image batches of one shape (N, C, H, W), got {x.shape} and {y.shape}")


def psnr(x, y):
    """Mean over images of 10 log10(1 / mse), images (N, C, H, W) in [0, 1]."""
    x, y = _float64(x), _float64(y)
    if x.shape != y.shape:
        raise ValueError(f"psnr: expected two image batches of one shape, got {x.shape} and {y.shape}")
    mse = ((x - y) ** 2).reshape(len(x), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, MSE_FLOOR))))


def gaussian_window(size=SSIM_WINDOW, sigma=SSIM_SIGMA):
    """The 1-D window g[k] proportional to exp(-(k - (size - 1)/2)^2 / (2 sigma^2)), summing to 1;
    the 2-D window is its outer product g g^T (a Gaussian is separable)."""
    k = np.arange(size) - (size - 1) / 2
    g = np.exp(-k ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _filter_valid(x, g):
    """sum_{a, b} g[a] g[b] x[..., i + a, j + b] for every window that fits (separable: the
    rows, then the columns)."""
    k = len(g)
    h, w = x.shape[-2:]
    rows = sum(g[a] * x[..., a:a + h - k + 1, :] for a in range(k))
    return sum(g[b] * rows[..., :, b:b + w - k + 1] for b in range(k))


def ssim_map(x, y, data_range=1.0, window=SSIM_WINDOW, sigma=SSIM_SIGMA):
    """The SSIM of every window position, (N, C, H - window + 1, W - window + 1)."""
    x, y = _float64(x), _float64(y)
    _check_pair("ssim", x, y)
    if min(x.shape[2:]) < window:
        raise ValueError(f"ssim: images of {x.shape[2]}x{x.shape[3]} are smaller than the "
                         f"{window}x{window} window")
    g = gaussian_window(window, sigma)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    mu_x, mu_y = _filter_valid(x, g), _filter_valid(y, g)
    # population (1/N-weighted) moments under the window, as the paper's code computes them
    var_x = _filter_valid(x * x, g) - mu_x ** 2
    var_y = _filter_valid(y * y, g) - mu_y ** 2
    cov = _filter_valid(x * y, g) - mu_x * mu_y
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))


def ssim(x, y, data_range=1.0):
    """Mean SSIM of images (N, C, H, W) in [0, data_range]: the window average per image,
    then the mean over images."""
    return float(ssim_map(x, y, data_range).reshape(len(_float64(x)), -1).mean(axis=1).mean())
