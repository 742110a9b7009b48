"""load_dataset's names, .npz files and errors; available_datasets (minigen/data/datasets.py)."""
import numpy as np
import pytest

from minigen.data import CorruptDataError, Dataset, available_datasets, load_dataset


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    return tmp_path


def test_unknown_name_is_a_value_error_naming_argument_value_and_known_names():
    with pytest.raises(ValueError) as info:
        load_dataset("mnistt")
    message = str(info.value)
    assert "name_or_path='mnistt'" in message
    for known in ("embedded", "mnist", "fashion-mnist", "celeba", "horse2zebra"):
        assert known in message


def test_unknown_split_lists_the_available_ones():
    with pytest.raises(ValueError, match="split='valid'.*available splits: test, train"):
        load_dataset("embedded", split="valid")


def test_missing_dataset_says_how_to_get_it(data_root):
    with pytest.raises(FileNotFoundError, match="python data_scripts/get_mnist.py"):
        load_dataset("mnist")


def test_missing_resized_dataset_names_the_size_in_the_command(data_root):
    with pytest.raises(FileNotFoundError, match="get_cyclegan.py horse2zebra --size 128"):
        load_dataset("horse2zebra-128", split="trainA")


def test_named_dataset_is_read_from_the_data_root(data_root):
    x = np.zeros((3, 28, 28), dtype=np.uint8)
    np.savez(data_root / "fashion-mnist.npz", x_train=x, y_train=np.arange(3),
             x_test=x[:1], y_test=np.arange(1))
    ds = load_dataset("fashion-mnist", split="test")
    assert ds.images.shape == (1, 1, 28, 28) and ds.labels.tolist() == [0]


def test_cyclegan_names_and_sizes_map_to_files(data_root):
    domain = np.zeros((2, 3, 8, 8), dtype=np.uint8)
    np.savez(data_root / "horse2zebra-64.npz", trainA=domain, trainB=domain[:1],
             testA=domain, testB=domain)
    np.savez(data_root / "horse2zebra-128.npz", trainA=domain[:1], trainB=domain,
             testA=domain, testB=domain)
    assert len(load_dataset("horse2zebra", split="trainB")) == 1
    assert len(load_dataset("horse2zebra-128", split="trainB")) == 2
    assert load_dataset("horse2zebra", split="trainA").labels is None


def test_npz_path_works_like_a_name(tmp_path):
    np.savez(tmp_path / "mine.npz", x_train=np.zeros((4, 2, 5, 5), dtype=np.uint8))
    assert load_dataset(tmp_path / "mine.npz").images.shape == (4, 2, 5, 5)


def test_corrupt_npz_in_data_root_is_a_clear_error(data_root):
    (data_root / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CorruptDataError, match="mnist.npz is truncated or corrupt"):
        load_dataset("mnist")


def test_available_datasets_reports_presence_and_command(data_root):
    np.savez(data_root / "mnist.npz", x_train=np.zeros((1, 28, 28), dtype=np.uint8))
    info = {d["name"]: d for d in available_datasets()}
    assert info["embedded"]["present"] and info["mnist"]["present"]
    assert not info["celeba"]["present"]
    assert info["celeba"]["command"].startswith("python data_scripts/get_celeba.py")
    assert info["horse2zebra"]["command"] == "python data_scripts/get_cyclegan.py horse2zebra"
    assert info["mnist"]["path"] == str(data_root / "mnist.npz")


def test_dataset_rejects_non_uint8_images():
    with pytest.raises(ValueError, match="uint8"):
        Dataset(np.zeros((2, 1, 4, 4), dtype=np.float32))


def test_dataset_rejects_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"labels have shape \(3,\)"):
        Dataset(np.zeros((2, 1, 4, 4), dtype=np.uint8), labels=[0, 1, 2])
