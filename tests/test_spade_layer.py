"""nn.SPADE (issue 19): gradients of first and second order through the whole layer, PyTorch
parity, and the paper's argument in closed form: normalising a constant label map gives
zeros whatever the label, while SPADE's modulation keeps the label."""
import numpy as np
import pytest

import minigen as mg
from minigen import nn
from minigen.nn import functional as F


def one_hot_map(labels, n_classes, size):
    """(N,) labels -> (N, n_classes, size, size) maps, each constant at its label."""
    m = np.zeros((len(labels), n_classes, size, size))
    m[np.arange(len(labels)), labels] = 1.0
    return m


def layer64(norm="instance", seed=0):
    mg.manual_seed(seed)
    return nn.SPADE(3, 4, hidden=3, norm=norm).double()


@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_gradients_through_the_whole_layer_wrt_x_and_the_map_convolutions(norm):
    layer = layer64(norm)
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True)
    # a real-valued map at half the size: the nearest resize is on the path to the weights
    seg = mg.tensor(rng.standard_normal((2, 4, 2, 2)))
    params = list(layer.parameters())
    assert len(params) == 6      # shared, gamma and beta convolutions: weight and bias each
    assert mg.gradcheck(lambda x, *p: layer(x, seg), [x] + params)
    assert mg.gradgradcheck(lambda x, *p: layer(x, seg), [x] + params)


def test_gradient_wrt_a_real_valued_map():
    layer = layer64()
    rng = np.random.default_rng(2)
    x = mg.tensor(rng.standard_normal((2, 3, 4, 4)))
    seg = mg.tensor(rng.standard_normal((2, 4, 4, 4)), requires_grad=True)
    assert mg.gradcheck(lambda s: layer(x, s), [seg])
    assert mg.gradgradcheck(lambda s: layer(x, s), [seg])


def test_normalising_a_constant_label_map_gives_zeros_whatever_the_label():
    for label in range(4):
        seg = mg.tensor(one_hot_map([label, label], 4, 8))
        np.testing.assert_array_equal(F.instance_norm(seg).numpy(), 0.0)
        np.testing.assert_array_equal(nn.BatchNorm2d(4, affine=False)(seg).numpy(), 0.0)


def test_spade_keeps_the_label_of_a_constant_map_in_closed_form():
    # For a map constant at label k, away from the zero-padded border every 3x3 window sees
    # only label k, so a = relu(sum over the window of W_shared[:, k] + b_shared) and
    # gamma = sum over the window of W_gamma . a + b_gamma (beta likewise), the same at every
    # interior pixel: y = x_hat * (1 + gamma_k) + beta_k with x_hat = instance_norm(x).
    layer = layer64()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 3, 8, 8))
    x_hat = F.instance_norm(mg.tensor(x)).numpy()
    w_s, b_s = layer.mlp_shared[0].weight.numpy(), layer.mlp_shared[0].bias.numpy()
    outputs = []
    for k in range(4):
        y = layer(mg.tensor(x), mg.tensor(one_hot_map([k], 4, 8))).numpy()
        a = np.maximum(w_s[:, k].sum(axis=(1, 2)) + b_s, 0)
        gamma = layer.mlp_gamma.weight.numpy().sum(axis=(2, 3)) @ a + layer.mlp_gamma.bias.numpy()
        beta = layer.mlp_beta.weight.numpy().sum(axis=(2, 3)) @ a + layer.mlp_beta.bias.numpy()
        inner = (slice(None), slice(None), slice(2, 6), slice(2, 6))  # 2 px from the border: two 3x3 convs
        want = x_hat * (1 + gamma[None, :, None, None]) + beta[None, :, None, None]
        np.testing.assert_allclose(y[inner], want[inner], rtol=1e-12, atol=1e-12)
        outputs.append(y[inner])
    for j in range(4):  # and the labels stay apart: no two labels give the same output
        for k in range(j):
            assert np.abs(outputs[j] - outputs[k]).max() > 1e-3


def test_the_map_is_resized_by_nearest_neighbour():
    layer = layer64()
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((1, 3, 8, 8)))
    small = rng.standard_normal((1, 4, 4, 4))
    big = small.repeat(2, axis=2).repeat(2, axis=3)  # each label pixel covers 2 x 2 features
    np.testing.assert_array_equal(layer(x, mg.tensor(small)).numpy(), layer(x, mg.tensor(big)).numpy())


def test_bad_arguments_are_refused_with_one_line_naming_them():
    with pytest.raises(ValueError, match="norm='group'"):
        nn.SPADE(3, 4, norm="group")
    with pytest.raises(ValueError, match="kernel_size=2"):
        nn.SPADE(3, 4, kernel_size=2)
    with pytest.raises(ValueError, match="label_nc=0"):
        nn.SPADE(3, 0)
    layer = nn.SPADE(3, 4, hidden=2)
    with pytest.raises(ValueError, match=r"expected \(N, 4, H, W\)"):
        layer(mg.zeros(1, 3, 4, 4), mg.zeros(1, 5, 4, 4))
    with pytest.raises(ValueError, match="one map per image"):
        layer(mg.zeros(2, 3, 4, 4), mg.zeros(1, 4, 4, 4))


@pytest.mark.torch
@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_spade_matches_the_same_layer_built_from_torch_nn(norm):
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TorchSPADE(tnn.Module):  # NVlabs/SPADE's normalization.SPADE, 'spade{norm}3x3'
        def __init__(self, norm_nc, label_nc, hidden):
            super().__init__()
            self.param_free_norm = (tnn.InstanceNorm2d(norm_nc, affine=False) if norm == "instance"
                                    else tnn.BatchNorm2d(norm_nc, affine=False))
            self.mlp_shared = tnn.Sequential(tnn.Conv2d(label_nc, hidden, 3, padding=1), tnn.ReLU())
            self.mlp_gamma = tnn.Conv2d(hidden, norm_nc, 3, padding=1)
            self.mlp_beta = tnn.Conv2d(hidden, norm_nc, 3, padding=1)

        def forward(self, x, segmap):
            segmap = tnn.functional.interpolate(segmap, size=x.shape[2:], mode="nearest")
            actv = self.mlp_shared(segmap)
            return self.param_free_norm(x) * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)

    ours = layer64(norm)
    theirs = TorchSPADE(3, 4, 3).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(5)
    x, seg = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 4, 3, 3))
    g = rng.standard_normal((2, 3, 6, 6))
    mx = mg.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(mx, mg.tensor(seg)), theirs(tx, torch.tensor(seg))
    np.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
    y_ours.backward(mg.tensor(g))
    y_theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)
