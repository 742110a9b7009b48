"""mg.save / mg.load: nested state, no pickle, atomic writes, clear errors."""
import os

import numpy as np
import pytest

import minigen as mg


def test_round_trip_of_nested_state(tmp_path):
    rng_state = np.random.default_rng(0).bit_generator.state  # holds 128-bit integers
    obj = {"model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "0.bias": mg.ones(2)},
           "opt": {"state": {0: {"step": 3, "exp_avg": np.zeros(2)}}, "param_groups": [{"lr": 1e-3, "betas": (0.5, 0.9)}]},
           "rng": rng_state, "name": "dcgan", "none": None, "flag": True, "ints": np.int64(7), "labels": np.array([1, 2])}
    mg.save(obj, tmp_path / "s.npz")
    back = mg.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(back["model"]["0.weight"], obj["model"]["0.weight"])
    assert back["model"]["0.weight"].dtype == np.float32 and back["labels"].dtype == np.int64
    assert back["opt"]["state"][0]["step"] == 3  # integer keys survive
    assert back["rng"] == rng_state
    assert back["name"] == "dcgan" and back["none"] is None and back["flag"] is True and back["ints"] == 7
    assert back["opt"]["param_groups"][0]["betas"] == [0.5, 0.9]


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.ones(3)}, path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"a": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_missing_truncated_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz does not exist"):
        mg.load(tmp_path / "nope.npz")
    path = tmp_path / "t.npz"
    mg.save({"a": np.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="t.npz is truncated or corrupt"):
        mg.load(path)
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(ValueError, match="not one written by mg.save"):
        mg.load(tmp_path / "plain.npz")


def test_objects_that_would_need_pickle_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store a function"):
        mg.save({"f": lambda: 0}, tmp_path / "x.npz")
