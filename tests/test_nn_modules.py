"""nn.Module bookkeeping, the layers' shapes and PyTorch-default initialisation."""
import math

import numpy as np
import pytest

import minigen as mg
from minigen import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 8 * 8, 2))

    def forward(self, x):
        return self.head(nn.functional.relu(self.bn(self.conv(x))))


def test_parameters_are_registered_in_assignment_order_with_dotted_names():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["conv.weight", "conv.bias", "bn.weight", "bn.bias", "head.1.weight", "head.1.bias"]


def test_buffers_are_saved_but_not_trained():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["bn.running_mean", "bn.running_var"]
    assert all(p.requires_grad for p in net.parameters())
    assert "bn.running_var" in net.state_dict()


def test_train_and_eval_reach_every_submodule():
    net = Net().eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_gradients():
    net = Net()
    net(mg.randn(2, 1, 8, 8)).sum().backward()
    assert net.conv.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip_and_strict_errors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = mg.randn(2, 1, 8, 8)
    np.testing.assert_array_equal(a.eval()(x).numpy(), b.eval()(x).numpy())
    state = a.state_dict()
    del state["conv.bias"]
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys \['conv.bias'\].*unexpected keys \['extra.weight'\]"):
        b.load_state_dict(state)
    b.load_state_dict(state, strict=False)
    bad = a.state_dict()
    bad["conv.weight"] = np.zeros((4, 1, 2, 2))
    with pytest.raises(ValueError, match=r"'conv.weight' has shape \(4, 1, 2, 2\).*\(4, 1, 3, 3\)"):
        b.load_state_dict(bad)


def test_repr_reads_like_pytorch():
    r = repr(nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2)))
    assert r == ("Sequential(\n  (0): Conv2d(1, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))\n"
                 "  (1): LeakyReLU(negative_slope=0.2)\n)")


def test_forgetting_super_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))
    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Bad()


@pytest.mark.parametrize("make, x_shape, y_shape", [
    (lambda: nn.Conv2d(3, 8, 4, 2, 1), (2, 3, 28, 28), (2, 8, 14, 14)),
    (lambda: nn.ConvTranspose2d(8, 3, 4, 2, 1), (2, 8, 14, 14), (2, 3, 28, 28)),
    (lambda: nn.ConvTranspose2d(100, 256, 7, 1, 0), (2, 100, 1, 1), (2, 256, 7, 7)),
    (lambda: nn.Linear(5, 3), (4, 5), (4, 3)),
    (lambda: nn.BatchNorm1d(5), (4, 5), (4, 5)),
    (lambda: nn.InstanceNorm2d(3), (2, 3, 5, 5), (2, 3, 5, 5)),
    (lambda: nn.LayerNorm(5), (4, 5), (4, 5)),
    (lambda: nn.ReflectionPad2d(3), (1, 2, 8, 8), (1, 2, 14, 14)),
    (lambda: nn.Unflatten(1, (4, 2, 2)), (3, 16), (3, 4, 2, 2)),
])
def test_layer_output_shapes(make, x_shape, y_shape):
    assert make()(mg.randn(*x_shape)).shape == y_shape


def test_constructor_arguments_are_validated():
    with pytest.raises(ValueError, match="in_channels=3 is not divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_features=0"):
        nn.Linear(3, 0)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4\): got input of shape \(2, 3, 5, 5\)"):
        nn.BatchNorm2d(4)(mg.randn(2, 3, 5, 5))


def test_default_init_is_pytorchs_kaiming_uniform():
    layer = nn.Conv2d(64, 128, 4)
    fan_in = 64 * 16
    w = layer.weight.numpy()
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert np.abs(layer.bias.numpy()).max() <= bound
    t = nn.ConvTranspose2d(128, 64, 4)  # weight (128, 64, 4, 4): fan_in = 64 * 16, PyTorch's convention
    assert np.abs(t.weight.numpy()).max() <= 1 / math.sqrt(64 * 16)


def test_dcgan_init_statistics():
    net = nn.Sequential(nn.Conv2d(64, 128, 4), nn.BatchNorm2d(512), nn.ConvTranspose2d(128, 64, 4))
    nn.init.dcgan_init_(net)
    assert net[0].weight.numpy().std() == pytest.approx(0.02, rel=0.05)
    assert net[1].weight.numpy().mean() == pytest.approx(1.0, abs=0.005)
    assert np.all(net[0].bias.numpy() == 0) and np.all(net[1].bias.numpy() == 0)
    net.apply(nn.init.dcgan_init_)  # also usable through apply


def test_seed_makes_models_reproducible():
    mg.manual_seed(3)
    a = Net().state_dict()
    mg.manual_seed(3)
    b = Net().state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_embedding_looks_up_rows_and_gradients_scatter_back():
    emb = nn.Embedding(10, 3)
    idx = mg.tensor([1, 1, 4])
    out = emb(idx)
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[[1, 1, 4]])
    out.sum().backward()
    assert emb.weight.grad.numpy()[1].tolist() == [2.0, 2.0, 2.0]


def test_batchnorm_layer_eval_uses_running_stats():
    bn = nn.BatchNorm1d(3)
    for _ in range(3):
        bn(mg.randn(8, 3) * 2 + 1)
    bn.eval()
    x = mg.randn(4, 3)
    expected = (x.numpy() - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-5, atol=1e-6)
