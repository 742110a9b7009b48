"""The shared training loop: run directory, exact resume, Ctrl-C, bad input."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minigen as mg
from minigen.cli import main
from minigen.models import GenerativeModel, register_model
from minigen.training import TrainConfig, TrainingError, train
from minigen.training.checkpoint import latest_checkpoint, load_checkpoint


def tiny(tmp_path, name="run", **kw):
    base = dict(model="autoencoder", steps=12, batch_size=16, out=str(tmp_path / name),
                log_every=1, sample_every=6, checkpoint_every=6, keep=2, progress=False,
                options={"width": 4})
    base.update(kw)
    return TrainConfig(**base)


def losses(run):
    return {r["step"]: r["loss"] for r in run.read_metrics()}


def test_a_run_leaves_samples_plot_metrics_and_checkpoints(tmp_path):
    run = train(tiny(tmp_path))
    assert json.loads(run.config_path.read_text())["model"] == "autoencoder"
    assert sorted(losses(run)) == list(range(1, 13))
    assert (run.samples_dir / "step_000006.png").exists() and (run.samples_dir / "step_000012.png").exists()
    assert run.losses_png.exists()
    assert [p.name for p in sorted(run.checkpoints_dir.glob("*.npz"))] == ["ckpt_000006.npz", "ckpt_000012.npz"]


def test_interrupted_and_resumed_run_reproduces_the_uninterrupted_losses(tmp_path):
    straight = losses(train(tiny(tmp_path, "straight", steps=20)))
    first = train(tiny(tmp_path, "resumed", steps=20, stop_after=7))
    assert first.interrupted and max(losses(first)) == 7
    resumed = losses(train(TrainConfig(resume=str(tmp_path / "resumed"), progress=False)))
    assert sorted(resumed) == list(range(1, 21))
    for step in range(1, 21):
        assert resumed[step] == pytest.approx(straight[step], abs=1e-6), step


def test_resume_can_extend_the_number_of_steps(tmp_path):
    train(tiny(tmp_path, steps=6))
    run = train(TrainConfig(resume=str(tmp_path / "run"), steps=9, progress=False))
    assert max(losses(run)) == 9


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "sig"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "minigen", "train", "autoencoder", "--steps", "100000",
                             "--batch-size", "8", "--set", "width=4", "--out", str(out), "--no-progress",
                             "--log-every", "1", "--checkpoint-every", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    metrics = out / "metrics.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (metrics.exists() and metrics.stat().st_size > 0):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted at step" in stdout and "Traceback" not in stderr
    assert list((out / "checkpoints").glob("ckpt_*.npz"))


@register_model
class _Exploding(GenerativeModel):
    """A test model whose loss becomes NaN at step 5."""
    name = "test-exploding"
    defaults = {"lr": 1e-3, "batch_size": 8, "steps": 10}

    def build(self):
        from minigen import nn
        self.net = nn.Linear(2, 2)
        self.networks = {"net": self.net}
        from minigen.optim import SGD
        self.optimizers = {"sgd": SGD(self.net.parameters(), lr=0.1)}
        self.calls = 0

    def train_step(self, images, labels):
        self.calls += 1
        return {"loss": float("nan") if self.calls >= 5 else 1.0 / self.calls}

    def sample(self, n):
        return mg.zeros(n, 1, 4, 4)


def test_non_finite_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = TrainConfig(model="test-exploding", steps=10, out=str(tmp_path / "x"), progress=False,
                      checkpoint_every=2, sample_every=100)
    with pytest.raises(TrainingError, match=r"step 5: loss loss = nan.*ckpt_000004"):
        train(cfg)
    assert sorted(p.name for p in (tmp_path / "x" / "checkpoints").glob("*.npz"))[-1] == "ckpt_000004.npz"


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv, message", [
    (["train", "no-such-model"], "model 'no-such-model' is not a registered model"),
    (["train", "autoencoder", "--data", "no-such-data"], "no-such-data"),
    (["train", "autoencoder", "--lr", "-1"], "--lr=-1.0: expected a positive float"),
    (["train", "autoencoder", "--batch-size", "100000"], "batch_size=100000 is larger than the dataset"),
    (["train", "autoencoder", "--steps", "0"], "--steps=0"),
])
def test_bad_arguments_give_one_line_errors(capsys, tmp_path, argv, message):
    code, _, err = run_cli(capsys, *argv, "--out", str(tmp_path / "r"), "--no-progress")
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cuda_without_gpu_is_one_line(capsys, tmp_path):
    if mg.cuda_is_available():
        pytest.skip("a GPU is present")
    code, _, err = run_cli(capsys, "train", "autoencoder", "--device", "cuda", "--out", str(tmp_path / "r"))
    assert code == 2 and ("CuPy" in err or "GPU" in err) and "Traceback" not in err


def test_existing_run_is_not_overwritten_without_permission(tmp_path, capsys):
    train(tiny(tmp_path, steps=2))
    before = (tmp_path / "run" / "metrics.jsonl").read_text()
    code, _, err = run_cli(capsys, "train", "autoencoder", "--out", str(tmp_path / "run"), "--no-progress")
    assert code == 2 and "already holds a run" in err and "--overwrite" in err
    assert (tmp_path / "run" / "metrics.jsonl").read_text() == before
    train(tiny(tmp_path, steps=3, overwrite=True))
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in rows) == 3


def test_unwritable_output_directory(tmp_path, capsys):
    if os.geteuid() == 0:
        target = "/proc/minigen-run"  # even root cannot create files in /proc
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = str(locked / "run")
    code, _, err = run_cli(capsys, "train", "autoencoder", "--out", target, "--no-progress")
    assert code == 2 and "not writable" in err


def test_checkpoint_from_another_model_is_refused(tmp_path):
    run = train(tiny(tmp_path, steps=2))
    with pytest.raises(TrainingError, match="holds a 'autoencoder' model, not 'dcgan'"):
        load_checkpoint(latest_checkpoint(run), "dcgan")


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    run = train(tiny(tmp_path, steps=2))
    path = latest_checkpoint(run)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(TrainingError, match="cannot be read"):
        train(TrainConfig(resume=str(run.path), steps=4, progress=False))


def test_checkpoint_from_another_format_version_is_refused(tmp_path):
    run = train(tiny(tmp_path, steps=2))
    path = latest_checkpoint(run)
    state = mg.load(path)
    state["format_version"] = 99
    state["minigen_version"] = "9.0"
    mg.save(state, path)
    with pytest.raises(TrainingError, match="minigen 9.0"):
        load_checkpoint(path)


def test_sample_and_eval_commands(tmp_path, capsys):
    train(tiny(tmp_path, steps=3))
    code, out, _ = run_cli(capsys, "sample", str(tmp_path / "run"), "--n", "16", "--out", str(tmp_path / "g.png"))
    assert code == 0 and (tmp_path / "g.png").exists()
    code, out, _ = run_cli(capsys, "eval", str(tmp_path / "run"))
    assert code == 0 and "test_mse" in out
    code, _, err = run_cli(capsys, "sample", str(tmp_path / "nothing"))
    assert code == 2 and "not a run directory" in err


def test_every_command_has_help_with_an_example():
    for cmd in ("train", "sample", "eval", "datasets", "selfcheck"):
        out = subprocess.run([sys.executable, "-m", "minigen", cmd, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "Example" in out.stdout, cmd


def test_image_folder_with_a_wrong_sized_image_is_one_line(tmp_path, capsys):
    from PIL import Image
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.zeros((28, 28), dtype=np.uint8)).save(folder / f"{i}.png")
    Image.fromarray(np.zeros((30, 28), dtype=np.uint8)).save(folder / "odd.png")
    code, _, err = run_cli(capsys, "train", "autoencoder", "--data", str(folder), "--out", str(tmp_path / "r"),
                           "--no-progress", "--batch-size", "2")
    assert code == 2 and "odd.png" in err and "Traceback" not in err


def test_corrupt_dataset_file_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    code, _, err = run_cli(capsys, "train", "autoencoder", "--data", "mnist", "--out", str(tmp_path / "r"),
                           "--no-progress")
    assert code == 2 and "mnist.npz" in err and "Traceback" not in err


def test_steps_and_epochs_exclude_each_other():
    out = subprocess.run([sys.executable, "-m", "minigen", "train", "autoencoder", "--steps", "5", "--epochs", "1"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "not allowed with argument" in out.stderr and "Traceback" not in out.stderr


def test_epochs_trains_whole_passes(tmp_path):
    run = train(tiny(tmp_path, steps=None, epochs=1, batch_size=1500))
    assert max(losses(run)) == 3  # 4,500 digits / 1,500 per batch


def test_sample_grids_use_the_models_value_range_not_a_guess(tmp_path):
    # A tanh generator's early samples can all be positive; 0.5 must stay 0.5 in [-1, 1]
    # (pixel 191), not be read as 0.5 in [0, 1] (pixel 128).
    from types import SimpleNamespace
    from PIL import Image
    from minigen.training.loop import _write_samples
    from minigen.models.base import GenerativeModel
    for data_range, pixel in (("symmetric", 191), ("unit", 128)):
        model = SimpleNamespace(grid=(4, 2), data_range=data_range,
                                sample=lambda n: mg.tensor(np.full((n, 1, 3, 3), 0.5, dtype=np.float32)))
        model.value_range = GenerativeModel.value_range.fget(model)
        run = SimpleNamespace(samples_dir=tmp_path / data_range)
        _write_samples(run, model, 7)
        grid = np.asarray(Image.open(run.samples_dir / "step_000007.png"))
        assert grid[2, 2] == pixel  # the first image's top-left pixel (after 2 px of padding)
