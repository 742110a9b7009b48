"""mg.save / mg.load: nested state, no pickle, atomic writes, clear errors."""
import json
import os

import numpy as np
import pytest

import minigen as mg
from minigen import serialization


def test_round_trip_of_nested_state(tmp_path):
    rng_state = np.random.default_rng(0).bit_generator.state  # holds 128-bit integers
    obj = {"model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "0.bias": mg.ones(2)},
           "opt": {"state": {0: {"step": 3, "exp_avg": np.zeros(2)}},
                   "param_groups": [{"lr": 1e-3, "betas": (0.5, 0.9), "params": [0]}]},
           "rng": rng_state, "name": "dcgan", "none": None, "flag": True, "ints": np.int64(7),
           "labels": np.array([1, 2]), "mask": np.array([True, False]), "half": np.ones(2, dtype=np.float16),
           "scalar": np.array(2.5), "words": np.array(["a", "bc"]), "empty": {}, "nothing": []}
    mg.save(obj, tmp_path / "s.npz")
    back = mg.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(back["model"]["0.weight"], obj["model"]["0.weight"])
    # a Tensor comes back as an array
    np.testing.assert_array_equal(back["model"]["0.bias"], np.ones(2, dtype=np.float32))
    for key in ("labels", "mask", "half", "scalar", "words"):
        assert back[key].dtype == obj[key].dtype and back[key].shape == obj[key].shape
        np.testing.assert_array_equal(back[key], obj[key])
    assert back["model"]["0.weight"].dtype == np.float32
    assert back["opt"]["state"][0]["step"] == 3  # integer keys survive
    assert back["rng"] == rng_state
    assert back["name"] == "dcgan" and back["none"] is None and back["flag"] is True and back["ints"] == 7
    assert back["opt"]["param_groups"][0]["betas"] == [0.5, 0.9]  # tuples come back as lists
    assert back["empty"] == {} and back["nothing"] == []


def test_python_numbers_round_trip_exactly(tmp_path):
    obj = {"big": 2 ** 128 + 1, "neg": -(2 ** 70), "third": 1 / 3, "tiny": 5e-324, "inf": float("inf"),
           "nan": float("nan"), "f32": np.float32(0.1)}
    mg.save(obj, tmp_path / "n.npz")
    back = mg.load(tmp_path / "n.npz")
    assert back["big"] == 2 ** 128 + 1 and back["neg"] == -(2 ** 70)
    assert back["third"] == 1 / 3 and back["tiny"] == 5e-324 and back["inf"] == float("inf")
    assert np.isnan(back["nan"]) and back["f32"] == float(np.float32(0.1))


def test_a_restored_rng_state_continues_the_same_stream(tmp_path):
    rng = np.random.default_rng(123)
    rng.random(5)
    mg.save({"rng": rng.bit_generator.state}, tmp_path / "r.npz")
    expected = rng.random(4)
    other = np.random.default_rng()
    other.bit_generator.state = mg.load(tmp_path / "r.npz")["rng"]
    np.testing.assert_array_equal(other.random(4), expected)


def test_arrays_are_npz_entries_named_by_their_path(tmp_path):
    path = tmp_path / "s.npz"
    mg.save({"model": {"0.weight": np.ones((2, 2))}, "opt": {"state": {0: {"exp_avg": np.zeros(3)}}},
             "history": [np.ones(1), np.zeros(1)]}, path)
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["__skeleton__", "history/0", "history/1", "model/0.weight",
                                      "opt/state/0/exp_avg"]
        np.testing.assert_array_equal(data["model/0.weight"], np.ones((2, 2)))


def test_keys_that_collide_are_all_kept(tmp_path):
    # "file" is np.savez's own argument name; "a/b" and a -> b spell the same path.
    obj = {"file": np.ones(1), "allow_pickle": np.ones(2), "a/b": np.ones(3), "a": {"b": np.zeros(3)},
           "__skeleton__": np.ones(4), "odd": {"__array__": "x", "__items__": 1}}
    mg.save(obj, tmp_path / "c.npz")
    back = mg.load(tmp_path / "c.npz")
    assert set(back) == set(obj) and back["odd"] == obj["odd"]
    for key in ("file", "allow_pickle", "a/b", "__skeleton__"):
        np.testing.assert_array_equal(back[key], obj[key])
    np.testing.assert_array_equal(back["a"]["b"], np.zeros(3))


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.ones(3)}, path)
    before = path.read_bytes()

    def broken_write(f, arrays):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(serialization, "_write_npz", broken_write)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"a": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_a_crash_before_the_rename_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.ones(3)}, path)

    def no_replace(src, dst):
        raise KeyboardInterrupt  # Ctrl-C between writing and renaming
    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"a": np.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(mg.load(path)["a"], np.ones(3))
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_the_file_is_written_under_the_exact_name_given(tmp_path):
    mg.save({"a": 1}, tmp_path / "weights.ckpt")  # np.savez would have appended .npz
    assert os.listdir(tmp_path) == ["weights.ckpt"] and mg.load(tmp_path / "weights.ckpt") == {"a": 1}


def test_missing_truncated_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz does not exist"):
        mg.load(tmp_path / "nope.npz")
    path = tmp_path / "t.npz"
    mg.save({"a": np.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="t.npz is truncated or corrupt"):
        mg.load(path)
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(ValueError, match="plain.npz is not a file written by mg.save"):
        mg.load(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(ValueError, match="single.npy is not a file written by mg.save"):
        mg.load(tmp_path / "single.npy")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="text.npz is truncated or corrupt"):
        mg.load(tmp_path / "text.npz")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        mg.load(tmp_path)


def test_a_corrupt_skeleton_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.npz"
    skeleton = json.dumps({"w": {"__array__": "missing"}}).encode()
    np.savez(path, __skeleton__=np.frombuffer(skeleton, dtype=np.uint8))
    with pytest.raises(ValueError, match="bad.npz is truncated or corrupt"):
        mg.load(path)


def test_entries_are_found_through_the_skeleton_whatever_their_names(tmp_path):
    # The first format named entries a0, a1, ...; the skeleton still says where each goes.
    skeleton = json.dumps({"model": {"w": {"__array__": "a0"}}, "step": 5}).encode()
    np.savez(tmp_path / "old.npz", a0=np.ones(2), __skeleton__=np.frombuffer(skeleton, dtype=np.uint8))
    back = mg.load(tmp_path / "old.npz")
    assert back["step"] == 5
    np.testing.assert_array_equal(back["model"]["w"], np.ones(2))


@pytest.mark.parametrize("obj, message", [
    ({"f": lambda: 0}, "cannot store a function at 'f'"),
    ({"a": [object()]}, "cannot store a object at 'a/0'"),
    ({"o": np.array([{}, 1], dtype=object)}, "array at 'o' holds Python objects"),
    ({(1, 2): 3}, r"dict key \(1, 2\) at '/' is a tuple"),
    ({"b": b"bytes"}, "cannot store a bytes at 'b'"),
])
def test_objects_that_would_need_pickle_are_refused(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message):
        mg.save(obj, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_device_arrays_are_saved_as_host_arrays(tmp_path, device):
    t = mg.randn(2, 3, device=device)
    mg.save({"t": t, "raw": t.data}, tmp_path / "d.npz")
    back = mg.load(tmp_path / "d.npz")
    assert isinstance(back["raw"], np.ndarray)
    np.testing.assert_array_equal(back["t"], t.numpy())
