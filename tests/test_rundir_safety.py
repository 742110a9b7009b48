"""Issue 16: run directories that never lose work.

Each test pins one defect that lost or corrupted a run before the fix (see the issue's
numbered list); the comment on each says what used to happen.
"""
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import minigen as mg
from minigen.cli import main
from minigen.training import TrainConfig, TrainingError, train
from minigen.training.checkpoint import latest_checkpoint, save_checkpoint


def tiny(tmp_path, name="run", **kw):
    base = dict(model="autoencoder", steps=4, batch_size=16, out=str(tmp_path / name),
                log_every=1, sample_every=100, checkpoint_every=2, keep=3, progress=False,
                options={"width": 4})
    base.update(kw)
    return TrainConfig(**base)


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err):
    return "Traceback" not in err and len(err.strip().splitlines()) == 1


def spawn(*argv):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "minigen", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def wait_for_metrics(out, proc, timeout=60):
    metrics = out / "metrics.jsonl"
    deadline = time.time() + timeout
    while time.time() < deadline and not (metrics.exists() and metrics.stat().st_size > 0):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)


# --------------------------------------------------------------------- 10. mg.save / mg.load / load_state_dict

def test_load_state_dict_leaves_the_module_unchanged_when_a_value_cannot_be_converted():
    # before: 'weight' was copied, then 'bias' raised: the module was half loaded
    m = mg.nn.Linear(2, 2)
    before = m.weight.data.copy()
    with pytest.raises(ValueError, match="'bias' cannot be read as float32; nothing was loaded"
                       .replace("; ", r" \(.*\); ")):
        m.load_state_dict({"weight": np.zeros((2, 2)), "bias": np.array(["a", "b"])})
    assert np.array_equal(m.weight.data, before)


def test_save_keeps_every_zip_member_inside_the_archive(tmp_path):
    # before: a key '../../evil' became the member '../../evil.npy' (zip-slip)
    path = tmp_path / "k.npz"
    obj = {"../../evil": np.ones(2), "/abs": np.zeros(1), "a\\b": np.ones(1), ".": np.ones(3), "ok/x": np.ones(1)}
    mg.save(obj, path)
    names = zipfile.ZipFile(path).namelist()
    for name in names:
        assert not name.startswith("/") and "\\" not in name
        assert ".." not in name.split("/") and "." not in name.split("/") and "" not in name.split("/")
    assert "ok/x.npy" in names
    back = mg.load(path)
    assert set(back) == set(obj) and all(np.array_equal(back[k], obj[k]) for k in obj)


def test_load_refuses_a_member_that_is_not_an_array(tmp_path):
    # before: mg.load returned the member's raw bytes
    path = tmp_path / "m.npz"
    mg.save({"a": np.ones(2)}, path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("payload.txt", b"hello")
    with pytest.raises(ValueError, match="'payload.txt' is not an array"):
        mg.load(path)


def test_load_refuses_an_absurd_header_before_allocating(tmp_path):
    # before: np.load tried to allocate the 10^12 elements the header claimed
    path = tmp_path / "h.npz"
    mg.save({"a": np.ones(2)}, path)
    header = {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)}
    import io
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("huge.npy", buf.getvalue() + b"\0" * 64)
    with pytest.raises(ValueError, match="claims shape .* refused before allocating"):
        mg.load(path)
