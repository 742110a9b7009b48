"""Shared test setup: ``pytest --device cuda`` reruns the device-aware tests on the GPU."""
import pytest

import minigen as mg
from minigen import backend


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu", choices=("cpu", "cuda"),
                     help="device for the device-aware tests (default: cpu)")


def _cuda_skip_reason():
    if backend.cupy is None:
        return "--device cuda: CuPy is not installed (pip install -e .[gpu])"
    if not backend.cuda_is_available():
        return "--device cuda: CuPy is installed but no CUDA GPU is visible"
    return None


@pytest.fixture
def device(request):
    """'cpu' or 'cuda' per --device; skips with one clear reason when there is no GPU."""
    dev = request.config.getoption("--device")
    if dev == "cuda":
        reason = _cuda_skip_reason()
        if reason:
            pytest.skip(reason)
    return dev


@pytest.fixture(autouse=True)
def _seed():
    mg.manual_seed(0)


def pytest_collection_modifyitems(config, items):
    try:
        import torch  # noqa: F401
        has_torch = True
    except Exception:
        has_torch = False
    gpu_reason = _cuda_skip_reason()
    for item in items:
        if "torch" in item.keywords and not has_torch:
            item.add_marker(pytest.mark.skip(reason="PyTorch is not installed (optional oracle: pip install torch==2.13.0)"))
        if "gpu" in item.keywords and gpu_reason:
            item.add_marker(pytest.mark.skip(reason=gpu_reason.replace("--device cuda: ", "GPU test: ")))
