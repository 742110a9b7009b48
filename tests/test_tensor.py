"""Tensor creation, the dtype policy, devices and conversions."""
import numpy as np
import pytest

import minigen as mg
from minigen import backend


def test_python_floats_become_float32_and_ints_int64():
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3.0).dtype == np.float32
    assert mg.tensor([1, 2]).dtype == np.int64
    assert mg.tensor([True, False]).dtype == np.bool_


def test_numpy_arrays_keep_their_dtype():
    assert mg.tensor(np.zeros(3)).dtype == np.float64
    assert mg.tensor(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert mg.tensor(np.zeros(3), dtype="float32").dtype == np.float32


def test_python_scalar_does_not_upcast_float32():
    x = mg.ones(3)
    for y in (x * 0.5, 0.5 * x, x + 1, x / 3.0, x ** 2.0, 1.0 - x, x * np.float64(2.0)):
        assert y.dtype == np.float32


def test_int_tensor_with_float_tensor_gives_the_float_dtype():
    assert (mg.tensor([1, 2]) * mg.ones(2)).dtype == np.float32
    assert (mg.tensor([1, 2]) * 0.5).dtype == np.float32
    assert (mg.ones(2) + mg.tensor(np.ones(2))).dtype == np.float64


def test_float32_gradients_stay_float32():
    w = mg.ones(3, requires_grad=True)
    (w * mg.tensor(np.ones(3))).sum().backward()  # float64 partner
    assert w.grad.dtype == np.float32


def test_tensor_copies_its_data():
    a = np.ones(3)
    t = mg.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1


def test_factories():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.zeros(2, 3).dtype == np.float32
    assert mg.ones((2, 3)).numpy().sum() == 6
    assert mg.arange(5).numpy().tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(0.0, 1.0, 0.5).dtype == np.float32
    x = mg.randn(4, 5, dtype="float64")
    assert mg.zeros_like(x).dtype == np.float64 and mg.ones_like(x).shape == (4, 5)
    assert mg.rand(1000).numpy().min() >= 0


def test_manual_seed_reproduces_random_numbers():
    mg.manual_seed(123)
    a = mg.randn(5).numpy()
    mg.manual_seed(123)
    assert np.array_equal(a, mg.randn(5).numpy())


def test_item_numpy_detach_and_properties():
    t = mg.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.shape == (1, 2) and t.ndim == 2 and t.device == "cpu"
    assert isinstance(t.numpy(), np.ndarray)
    assert mg.tensor(4.0).item() == 4.0
    with pytest.raises(ValueError, match="one element"):
        t.item()
    d = (t * 2).detach()
    assert d.grad_fn is None and not d.requires_grad
    assert "grad_fn=<Mul>" in repr(t * 2)


def test_numpy_style_reduction_arguments():
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(axis=(2, 1), keepdims=True).shape == (2, 1, 1)
    np.testing.assert_allclose(x.mean(axis=-1).numpy(), np.arange(24.0).reshape(2, 3, 4).mean(-1))
    np.testing.assert_allclose(x.var(axis=0, ddof=1).numpy(), np.arange(24.0).reshape(2, 3, 4).var(0, ddof=1))
    assert x.max().item() == 23 and x.min(axis=0).shape == (3, 4)


def test_sigmoid_and_log_softmax_are_stable_at_extremes():
    x = mg.tensor([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        np.testing.assert_allclose(x.sigmoid().numpy(), [0.0, 0.5, 1.0])
        out = mg.log_softmax(mg.tensor([[1000.0, 0.0]]), axis=1).numpy()
    np.testing.assert_allclose(out, [[0.0, -1000.0]])


def test_cuda_without_cupy_or_gpu_says_what_is_missing():
    if backend.cuda_is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CuPy|GPU"):
        mg.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CuPy|GPU"):
        mg.zeros(2, device="cuda")


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="device='tpu'"):
        mg.ones(2).to("tpu")


def test_ops_on_two_devices_name_the_op_and_both_devices(monkeypatch):
    a = mg.ones(2)
    b = mg.ones(2)
    real = backend.device_of
    monkeypatch.setattr(backend, "device_of", lambda arr: "cuda" if arr is b.data else real(arr))
    with pytest.raises(RuntimeError, match="Add: .*'cpu'.*'cuda'"):
        a + b


def test_to_device_round_trip_on_gpu(device):
    if device != "cuda":
        pytest.skip("needs --device cuda")
    x = mg.randn(3, 4, requires_grad=True)
    y = (x.to("cuda") * 2).to("cpu").sum()
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_import_without_cupy_works():
    import subprocess
    import sys
    code = ("import sys; sys.modules['cupy'] = None; import minigen as mg; "
            "print(mg.backend.cupy is None, (mg.ones(2) * 2).sum().item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "4.0"]


def test_requested_dtype_is_applied_to_python_floats_without_rounding():
    assert mg.tensor(-1.3, dtype="float64").item() == -1.3
    assert mg.tensor([0.1, 0.2], dtype=np.float64).numpy().tolist() == [0.1, 0.2]
