"""The super-resolution ops beyond their op cases: PixelShuffle/PixelUnshuffle layers,
bicubic's kernel, area downsampling, and the errors for bad arguments."""
import numpy as np
import pytest

import minigen as mg
import minigen.nn.functional as F
from minigen import nn
from minigen.nn.functional.upsample import cubic_weights


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_pixel_shuffle_layers_have_pytorch_shapes_and_invert_each_other():
    x = mg.tensor(rand(2, 18, 4, 5))
    y = nn.PixelShuffle(3)(x)
    assert y.shape == (2, 2, 12, 15)
    np.testing.assert_array_equal(nn.PixelUnshuffle(3)(y).numpy(), x.numpy())
    assert repr(nn.PixelShuffle(3)) == "PixelShuffle(upscale_factor=3)"


def test_pixel_shuffle_puts_a_pixels_channels_into_its_block():
    """Channel i r + j of input pixel (h, w) lands at output (h r + i, w r + j)."""
    x = np.zeros((1, 4, 2, 2))
    x[0, :, 1, 0] = [1, 2, 3, 4]
    y = F.pixel_shuffle(mg.tensor(x), 2).numpy()[0, 0]
    np.testing.assert_array_equal(y[2:4, 0:2], [[1, 2], [3, 4]])
    assert y.sum() == 10


def test_sub_pixel_convolution_is_a_fractionally_strided_convolution():
    """conv (C r^2 outputs) then pixel_shuffle = each output pixel (h r + i, w r + j) computed
    by its own kernel, the one for offset (i, j), over the low-resolution neighbourhood."""
    x, weight = rand(1, 2, 5, 5), rand(4, 2, 3, 3, seed=1)
    y = F.pixel_shuffle(F.conv2d(mg.tensor(x), mg.tensor(weight), padding=1), 2).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for h, w, i, j in [(0, 0, 0, 0), (2, 3, 1, 0), (4, 4, 1, 1), (3, 1, 0, 1)]:
        expected = (xp[0, :, h:h + 3, w:w + 3] * weight[i * 2 + j]).sum()
        assert y[0, 0, 2 * h + i, 2 * w + j] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("bad, match", [
    (lambda: F.pixel_shuffle(mg.zeros(1, 6, 2, 2), 2), "divisible by upscale_factor"),
    (lambda: F.pixel_shuffle(mg.zeros(1, 4, 2, 2), 0), "upscale_factor=0"),
    (lambda: F.pixel_unshuffle(mg.zeros(1, 1, 5, 4), 2), "divisible by downscale_factor"),
    (lambda: F.pixel_unshuffle(mg.zeros(1, 1, 4, 4), 1.5), "downscale_factor=1.5"),
    (lambda: F.interpolate(mg.zeros(1, 1, 6, 6), size=(4, 4), mode="area"), "integer factors"),
    (lambda: F.interpolate(mg.zeros(1, 1, 6, 6), size=(3, 3), mode="area", align_corners=False), "align_corners"),
    (lambda: F.interpolate(mg.zeros(1, 1, 6, 6), size=(3, 3), mode="trilinear"), "'bicubic'"),
])
def test_bad_arguments_name_the_argument(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_cubic_kernel_weights_sum_to_one_and_interpolate_the_samples():
    t = np.linspace(0, 0.99, 12)
    np.testing.assert_allclose(cubic_weights(t).sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(cubic_weights(np.zeros(1))[:, 0], [0, 1, 0, 0], atol=1e-12)


def test_bicubic_reproduces_a_linear_ramp_and_overshoots_an_edge():
    """Cubic convolution is exact for polynomials up to degree 1 away from the borders (its
    weights sum to 1 and have zero first moment), and its negative lobes ring at a step."""
    ramp = np.arange(8, dtype=np.float64)[None, None, None].repeat(8, axis=2)
    y = F.interpolate(mg.tensor(ramp), size=(8, 15), mode="bicubic", align_corners=True).numpy()
    np.testing.assert_allclose(y[0, 0, 0, 2:-2], np.linspace(0, 7, 15)[2:-2], atol=1e-12)
    step = np.zeros((1, 1, 8, 8))
    step[..., 4:] = 1.0
    y = F.interpolate(mg.tensor(step), scale_factor=4, mode="bicubic").numpy()
    assert y.max() > 1.0 and y.min() < 0.0


def test_area_downsampling_is_the_block_mean():
    x = rand(2, 3, 8, 12)
    y = F.interpolate(mg.tensor(x), scale_factor=0.25, mode="area").numpy()
    np.testing.assert_allclose(y, x.reshape(2, 3, 2, 4, 3, 4).mean(axis=(3, 5)), atol=1e-12)


@pytest.mark.torch
def test_pixel_shuffle_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = rand(2, 8, 3, 5)
    ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, t = nn.PixelShuffle(2)(ours), torch.nn.PixelShuffle(2)(theirs)
    np.testing.assert_array_equal(y.numpy(), t.detach().numpy())
    g = rand(*y.shape, seed=1)
    y.backward(mg.tensor(g)), t.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(mg.tensor(x[:, :, :2, :4])).numpy(),
                                  torch.nn.PixelUnshuffle(2)(torch.tensor(x[:, :, :2, :4])).numpy())
