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


@pytest.fixture
def check_exact_resume(tmp_path):
    """check(model, keys, options, steps=8, batch_size=8, stop_after=3): train ``steps`` steps
    straight, and again interrupted after ``stop_after`` and resumed; every logged ``key`` of
    every step must agree to 1e-6 (networks, optimizers, RNG, data position and the model's
    extra state all restored)."""
    from minigen.training import TrainConfig, train

    def check(model, keys, options, steps=8, batch_size=8, stop_after=3):
        def cfg(run, **kw):
            return TrainConfig(model=model, steps=steps, batch_size=batch_size, out=str(tmp_path / run),
                               log_every=1, sample_every=100, checkpoint_every=100, progress=False,
                               options=options, **kw)

        def metrics(run):
            return {r["step"]: r for r in run.read_metrics()}

        straight = metrics(train(cfg("straight")))
        assert train(cfg("resumed", stop_after=stop_after)).interrupted
        resumed = metrics(train(TrainConfig(resume=str(tmp_path / "resumed"), progress=False)))
        assert sorted(resumed) == list(range(1, steps + 1))
        for step in range(1, steps + 1):
            for key in keys:
                assert resumed[step][key] == pytest.approx(straight[step][key], abs=1e-6), (step, key)
    return check
