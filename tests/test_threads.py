"""mg.set_num_threads / get_num_threads and `minigen train|eval --threads N`."""
import pytest

import minigen as mg
from minigen.cli import main


@pytest.fixture
def restore_threads():
    before = mg.get_num_threads()
    yield
    mg.set_num_threads(before)


def test_set_num_threads_limits_the_loaded_blas(restore_threads):
    mg.set_num_threads(1)
    assert mg.get_num_threads() == 1
    mg.set_num_threads(3)
    # OpenBLAS may cap the count at the cores it was built for, but never keeps the old limit of 1
    assert mg.get_num_threads() > 1


@pytest.mark.parametrize("n", [0, -2, 1.5, True, "2"])
def test_bad_thread_counts_name_the_value(n):
    with pytest.raises(ValueError, match=f"n={n!r}: expected an integer >= 1"):
        mg.set_num_threads(n)


def test_train_threads_flag(tmp_path, capsys, restore_threads):
    assert main(["train", "autoencoder", "--threads", "0", "--out", str(tmp_path / "r")]) == 2
    assert "--threads 0: expected an integer >= 1" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    assert main(["train", "autoencoder", "--steps", "2", "--threads", "1", "--no-progress",
                 "--out", str(tmp_path / "r")]) == 0
    assert mg.get_num_threads() == 1
