"""PyTorch's API on minigen (issue 15): each item behaves as PyTorch's does. Closed forms
always; the same calls on PyTorch when it is installed (``torch`` marker)."""
import math

import numpy as np
import pytest

import minigen as mg
from minigen import nn, optim
from minigen.nn import functional as F

torch_only = pytest.mark.torch


def t64(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ----------------------------------------------------------------------------- tensors


def test_dim_and_keepdim_are_accepted_wherever_axis_and_keepdims_are():
    x = mg.tensor(t64(2, 3, 4))
    for name in ("sum", "mean", "logsumexp"):
        np.testing.assert_array_equal(getattr(x, name)(dim=1, keepdim=True).numpy(),
                                      getattr(x, name)(axis=1, keepdims=True).numpy())
    assert F.softmax(x, dim=1).shape == (2, 3, 4) and F.log_softmax(x, dim=0).shape == (2, 3, 4)
    assert mg.cat([x, x], dim=2).shape == (2, 3, 8) and mg.stack([x, x], dim=1).shape == (2, 2, 3, 4)
    with pytest.raises(TypeError, match="not both"):
        x.sum(dim=1, axis=1)


def test_size_shape_len_numel():
    x = mg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert len(x) == 2 and x.numel() == 24 and x.dim() == 3


def test_max_and_min_over_a_dim_return_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 0.0]])
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])   # the first of ties, as PyTorch
    assert x.min(dim=1).indices.tolist() == [0, 2] and x.min(dim=0, keepdim=True).values.shape == (1, 3)
    assert x.max().item() == 7.0 and mg.max(x, mg.zeros(2, 3) + 3).tolist() == [[3, 5, 5], [7, 3, 3]]
    assert x.argmax().item() == 3 and x.argmax(dim=1).tolist() == [1, 0] and x.argmin(0).tolist() == [0, 1, 1]
    assert x.argmax(1).dtype == np.int64


def test_transpose_swaps_two_dims_and_permute_reorders():
    x = mg.tensor(t64(2, 3, 4))
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.transpose(-1, 1).shape == (2, 4, 3)
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), x.numpy().swapaxes(0, 2))
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and mg.zeros(2, 5).t().shape == (5, 2)


def test_view_as_clone_pow_eq_and_friends():
    x = mg.tensor(t64(2, 3), requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and y.requires_grad
    assert x.view_as(mg.zeros(3, 2)).shape == (3, 2)
    np.testing.assert_allclose(x.pow(2).numpy(), x.numpy() ** 2)
    assert x.eq(x).all().item() and not x.ne(x).any().item() and x.gt(x - 1).all().item()


def test_in_place_fills_and_random_fills():
    x = mg.zeros(1000)
    x.normal_(1.0, 0.02)
    assert abs(x.numpy().mean() - 1.0) < 0.01 and abs(x.numpy().std() - 0.02) < 0.003
    x.uniform_(-2, -1)
    assert -2 <= x.numpy().min() and x.numpy().max() < -1
    assert x.fill_(3).tolist()[:2] == [3, 3] and x.zero_().numpy().sum() == 0
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    with pytest.raises(RuntimeError, match="no_grad"):
        p.normal_()
    with mg.no_grad():
        p.normal_()


def test_like_factories_normal_and_full_dtype():
    x = mg.zeros(2, 3, dtype="float64")
    assert mg.randn_like(x).dtype == np.float64 and mg.rand_like(x).shape == (2, 3)
    assert mg.normal(0.0, 1.0, size=(4,)).shape == (4,)
    assert mg.normal(mg.zeros(3), 2.0).shape == (3,)
    assert mg.full((3,), 1).dtype == np.int64 and mg.full((3,), 1.0).dtype == np.float32
    assert mg.full((2,), True).dtype == np.bool_


def test_python_conversions_format_array_and_len():
    loss = mg.tensor(0.12345)
    assert float(loss) == pytest.approx(0.12345) and int(mg.tensor(3.7)) == 3
    assert f"{loss:.3f}" == "0.123" and isinstance(f"{mg.zeros(2)}", str)
    assert np.asarray(mg.ones(2, 2)).shape == (2, 2) and len(mg.zeros(5, 1)) == 5
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mg.zeros(2))


def test_devices_as_pytorch_spells_them():
    cpu = mg.device("cpu")
    assert cpu == "cpu" and cpu.type == "cpu" and mg.device("cuda:0").index == 0
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    x = mg.zeros(2, device=device)
    assert x.device == device and x.is_cuda == (device == "cuda")
    assert x.to(device).device == device and x.to(mg.float64).dtype == np.float64
    assert x.to(device, mg.float64).dtype == np.float64 and x.to(mg.zeros(1, dtype="float64")).dtype == np.float64
    with pytest.raises(ValueError, match="tpu"):
        mg.device("tpu")


def test_module_to_float_double_cpu():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert net.double() is net and all(p.dtype == np.float64 for p in net.parameters())
    assert net[1].num_batches_tracked.dtype == np.int64        # integer buffers keep their dtype
    net.to(mg.device("cpu"), mg.float32)
    assert all(p.dtype == np.float32 for p in net.parameters()) and net.cpu() is net


# ----------------------------------------------------------------------------- layers


def test_relu_and_leaky_relu_accept_inplace():
    x = mg.tensor([-1.0, 2.0])
    assert nn.ReLU(True)(x).tolist() == [0, 2] and nn.ReLU(inplace=True)(x).tolist() == [0, 2]
    assert nn.LeakyReLU(0.2, inplace=True)(x).tolist() == pytest.approx([-0.2, 2])
    assert F.relu(x, inplace=True).tolist() == [0, 2] and F.leaky_relu(x, 0.5, True).tolist() == [-0.5, 2]


def test_loss_modules_equal_their_functions():
    p, t = mg.tensor([0.2, 0.9]), mg.tensor([0.0, 1.0])
    assert nn.BCELoss()(p, t).item() == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2)
    assert nn.BCEWithLogitsLoss(reduction="sum")(p, t).item() == F.binary_cross_entropy_with_logits(p, t, "sum").item()
    assert nn.MSELoss()(p, t).item() == pytest.approx((0.04 + 0.01) / 2)
    assert nn.L1Loss()(p, t).item() == pytest.approx(0.15)
    logits, labels = mg.tensor(t64(4, 3)), mg.tensor([0, 2, 1, 1])
    ce = nn.CrossEntropyLoss()(logits, labels).item()
    assert nn.NLLLoss()(F.log_softmax(logits, dim=1), labels).item() == pytest.approx(ce)
    assert F.nll_loss(F.log_softmax(logits, dim=1), labels).item() == pytest.approx(ce)


def test_containers_identity_flatten():
    blocks = nn.ModuleList([nn.Linear(2, 2), nn.Identity()])
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    owner = nn.Module()
    owner.blocks, owner.heads = blocks, heads
    assert list(owner.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "heads.a.weight", "heads.a.bias"]
    assert len(blocks) == 2 and "a" in heads and list(heads.keys()) == ["a"]
    x = mg.zeros(3, 2)
    assert blocks[1](x) is x and nn.Flatten()(mg.zeros(2, 3, 4)).shape == (2, 12)
    assert nn.Unflatten(1, (3, 4))(mg.zeros(2, 12)).shape == (2, 3, 4)


def test_pooling_and_upsampling_shapes():
    x = mg.randn(2, 3, 8, 8)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4) and F.max_pool2d(x, 3, 2, 1).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.Upsample(scale_factor=2)(x).shape == (2, 3, 16, 16)
    assert nn.Upsample(size=(5, 7), mode="bilinear")(x).shape == (2, 3, 5, 7)


def test_max_pool2d_sends_a_tied_windows_gradient_to_its_first_maximum():
    """After a ReLU a window is often all zeros; PyTorch sends its gradient to one input."""
    x = mg.zeros(1, 1, 2, 2, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().ravel().tolist() == [1, 0, 0, 0]


def test_init_functions_work_on_parameters_and_on_their_data():
    w = nn.Parameter(np.zeros((64, 32), dtype=np.float32))
    nn.init.normal_(w.data, 0.0, 0.02)                 # the DCGAN tutorial's spelling
    assert abs(w.numpy().std() - 0.02) < 0.003
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 96)
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 96)) < 0.02
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 32)) < 0.03
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert np.abs(w.numpy()).max() <= 0.5
    nn.init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), np.eye(32), atol=1e-5)
    nn.init.constant_(w.data, 0.5)
    assert (w.numpy() == 0.5).all()


def test_batch_norm_counts_its_batches_and_loads_old_state_dicts():
    bn = nn.BatchNorm2d(3)
    bn(mg.randn(2, 3, 2, 2)), bn(mg.randn(2, 3, 2, 2))
    assert bn.num_batches_tracked.item() == 2 and bn.state_dict()["num_batches_tracked"].dtype == np.int64
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}  # before issue 15
    other = nn.BatchNorm2d(3)
    assert other.load_state_dict(old).missing_keys == []
    np.testing.assert_array_equal(other.running_mean.numpy(), bn.running_mean.numpy())


# ----------------------------------------------------------------------------- optimizers and schedules


def test_schedules_closed_forms():
    def lrs(make, n=6):
        opt = optim.SGD([nn.Parameter(np.zeros(1, dtype=np.float32))], lr=1.0)
        sched = make(opt)
        out = []
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step(), sched.step()
        return out
    assert lrs(lambda o: optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)) == [1, 1, .5, .5, .25, .25]
    assert lrs(lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.5)) == [1, .5, .25, .125, .0625, .03125]
    cos = lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.1), 5)
    assert cos == pytest.approx([0.1 + 0.9 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(5)])


def test_adamw_decays_the_weight_apart_from_the_gradient():
    """With a zero gradient AdamW still shrinks the weight by lr * weight_decay; Adam does not."""
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = mg.zeros(3)
    opt.step()
    np.testing.assert_allclose(p.numpy(), 1 - 0.1 * 0.5)


@torch_only
@pytest.mark.parametrize("name, kwargs", [("AdamW", dict(lr=0.01, weight_decay=0.1)),
                                          ("Adadelta", dict(lr=1.0, rho=0.8, weight_decay=0.01))])
def test_new_optimizers_follow_pytorchs_trajectory(name, kwargs):
    torch = pytest.importorskip("torch")
    w0 = t64(5)
    ours = nn.Parameter(w0.copy())
    theirs = torch.tensor(w0.copy(), requires_grad=True)
    o1, o2 = getattr(optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
    for step in range(5):
        g = t64(5, seed=step + 1)
        ours.grad, theirs.grad = mg.tensor(g), torch.tensor(g)
        o1.step(), o2.step()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@torch_only
def test_schedules_match_pytorch():
    torch = pytest.importorskip("torch")
    makers = [("StepLR", dict(step_size=3, gamma=0.3)), ("ExponentialLR", dict(gamma=0.9)),
              ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01))]
    for name, kwargs in makers:
        o1 = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
        o2 = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        s1, s2 = getattr(optim.lr_scheduler, name)(o1, **kwargs), getattr(torch.optim.lr_scheduler, name)(o2, **kwargs)
        for _ in range(12):
            assert o1.param_groups[0]["lr"] == pytest.approx(o2.param_groups[0]["lr"], rel=1e-9, abs=1e-12), name
            o1.step(), o2.step(), s1.step(), s2.step()


# ----------------------------------------------------------------------------- against PyTorch


@torch_only
@pytest.mark.parametrize("call", [
    lambda F, x: F.max_pool2d(x, 3, 2, 1), lambda F, x: F.max_pool2d(x, (2, 3), (1, 2), (1, 0), 2),
    lambda F, x: F.avg_pool2d(x, 2), lambda F, x: F.avg_pool2d(x, 3, 1, 1),
    lambda F, x: F.interpolate(x, scale_factor=2), lambda F, x: F.interpolate(x, size=(5, 11)),
    lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
    lambda F, x: F.interpolate(x, size=(4, 13), mode="bilinear", align_corners=True),
    lambda F, x: F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=False),
    lambda F, x: F.interpolate(x, scale_factor=2, mode="bicubic"),
    lambda F, x: F.interpolate(x, size=(28, 5), mode="bicubic"),
    lambda F, x: F.interpolate(x, size=(4, 13), mode="bicubic", align_corners=True),
    lambda F, x: F.interpolate(x, size=(3, 3), mode="bicubic", align_corners=False),
    lambda F, x: F.interpolate(x, size=(7, 4), mode="area"),
    lambda F, x: F.pixel_unshuffle(x[:, :, :6], 2), lambda F, x: F.pixel_shuffle(x.reshape(2, 12, 7, 2), 2),
])
def test_pooling_and_resizing_match_pytorch(call):
    torch = pytest.importorskip("torch")
    x = t64(2, 3, 7, 8)
    ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, t = call(F, ours), call(torch.nn.functional, theirs)
    np.testing.assert_allclose(y.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = t64(*y.shape, seed=1)
    y.backward(mg.tensor(g)), t.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@torch_only
def test_reductions_and_shape_methods_match_pytorch():
    torch = pytest.importorskip("torch")
    x = t64(3, 4, 5)
    a, b = mg.tensor(x), torch.tensor(x)
    pairs = [(a.var(), b.var()), (a.var(dim=1), b.var(dim=1)), (a.var(1, unbiased=False), b.var(1, unbiased=False)),
             (a.max(1).values, b.max(1).values), (a.max(1).indices, b.max(1).indices),
             (a.min(dim=2, keepdim=True).indices, b.min(dim=2, keepdim=True).indices),
             (a.argmax(), b.argmax()), (a.argmin(dim=0), b.argmin(dim=0)),
             (a.transpose(0, 2), b.transpose(0, 2)), (a.permute(1, 2, 0), b.permute(1, 2, 0)),
             (a.sum(dim=(0, 2), keepdim=True), b.sum(dim=(0, 2), keepdim=True)),
             (F.softmax(a, dim=1), torch.softmax(b, dim=1)), (a.logsumexp(dim=2), b.logsumexp(dim=2))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    assert a.size() == tuple(b.size()) and a.size(1) == b.size(1)
    assert mg.full((3,), 1).dtype.name == str(torch.full((3,), 1).dtype).split(".")[1]


@torch_only
def test_state_dicts_move_both_ways_through_npz(tmp_path):
    """PyTorch -> minigen: load_state_dict takes torch's tensors; minigen -> PyTorch: np.savez
    of state_dict(), then torch.from_numpy. The same weights give the same outputs."""
    torch = pytest.importorskip("torch")

    def build(nn_):
        return nn_.Sequential(nn_.Conv2d(1, 4, 3, padding=1), nn_.BatchNorm2d(4), nn_.LeakyReLU(0.2),
                              nn_.Flatten(), nn_.Linear(4 * 5 * 5, 2))
    theirs, ours = build(torch.nn).double(), build(nn).double()
    theirs(torch.randn(4, 1, 5, 5, dtype=torch.float64))          # a batch counted, stats moved
    ours.load_state_dict(theirs.state_dict())
    assert ours[1].num_batches_tracked.item() == 1
    ours.eval(), theirs.eval()
    x = t64(2, 1, 5, 5)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.savez(tmp_path / "w.npz", **ours.state_dict())
    back = build(torch.nn).double()
    with np.load(tmp_path / "w.npz") as f:
        back.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    back.eval()
    np.testing.assert_allclose(back(torch.tensor(x)).detach().numpy(), ours(mg.tensor(x)).numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- data and images


def test_tensor_dataset_and_dataloader_yield_tensor_batches():
    from minigen.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(mg.tensor(np.arange(10, dtype=np.float32).reshape(10, 1)), mg.tensor(np.arange(10)))
    batches = list(DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert isinstance(batches[0][1], mg.Tensor) and batches[0][1].tolist() == [0, 1, 2, 3]


def test_a_user_dataset_with_getitem_and_len_plugs_in():
    from minigen.utils.data import DataLoader, Dataset

    class Squares(Dataset):
        def __init__(self):
            pass

        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full((1, 2, 2), i, dtype=np.float32), i * i
    x, y = next(iter(DataLoader(Squares(), batch_size=5)))
    assert x.shape == (5, 1, 2, 2) and y.tolist() == [0, 1, 4, 9, 16]


def test_make_grid_and_save_image_follow_torchvision(tmp_path):
    from PIL import Image
    grid = mg.utils.make_grid(mg.ones(5, 1, 4, 6), nrow=2, padding=1)
    assert grid.shape == (3, 3 * 5 + 1, 2 * 7 + 1)              # 1 channel repeated to 3
    assert grid.numpy()[:, 0].sum() == 0 and grid.numpy()[:, 1, 1] .tolist() == [1, 1, 1]
    norm = mg.utils.make_grid(mg.tensor([[[[-1.0, 1.0]]]]), padding=0, normalize=True, value_range=(-1, 1))
    assert norm.numpy()[0, 0].tolist() == [0, 1]
    mg.utils.save_image(mg.rand(4, 3, 8, 8), tmp_path / "s.png", nrow=2)
    assert Image.open(tmp_path / "s.png").size == (2 * 10 + 2, 2 * 10 + 2)
