"""DataLoader (minigen/data/loader.py): batches, epochs, determinism, resuming."""
import numpy as np
import pytest

from minigen.data import DataLoader, Dataset, to_symmetric


@pytest.fixture
def dataset():
    """10 images whose pixels all equal their index, so a batch tells which rows it holds."""
    images = np.arange(10, dtype=np.uint8)[:, None, None, None] * np.ones((1, 1, 2, 3), np.uint8)
    return Dataset(images, labels=np.arange(10) % 3)


def indices(batch):
    images, _ = batch
    return [int(i) for i in np.asarray(images)[:, 0, 0, 0]]


def epoch(loader):
    return [indices(b) for b in loader]


def test_batch_shapes_and_labels(dataset):
    loader = DataLoader(dataset, batch_size=4, as_tensor=False, shuffle=True, drop_last=True)
    images, labels = next(iter(loader))
    assert images.shape == (4, 1, 2, 3) and images.dtype == np.uint8
    assert labels.shape == (4,) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels, images[:, 0, 0, 0] % 3)  # labels stay with images


def test_drop_last_controls_the_short_batch(dataset):
    assert len(DataLoader(dataset, 4, shuffle=True, drop_last=True)) == 2
    assert [len(b) for b in epoch(DataLoader(dataset, 4, as_tensor=False, shuffle=True, drop_last=True))] == [4, 4]
    loader = DataLoader(dataset, 4, drop_last=False, as_tensor=False, shuffle=True)
    assert len(loader) == 3 and [len(b) for b in epoch(loader)] == [4, 4, 2]


def test_every_index_once_per_epoch(dataset):
    loader = DataLoader(dataset, 5, as_tensor=False, shuffle=True, drop_last=True)
    for _ in range(3):
        assert sorted(sum(epoch(loader), [])) == list(range(10))
    assert loader.epoch == 3


def test_epochs_differ_and_no_shuffle_keeps_order(dataset):
    loader = DataLoader(dataset, 10, as_tensor=False, shuffle=True, drop_last=True)
    assert epoch(loader) != epoch(loader)
    assert epoch(DataLoader(dataset, 10, shuffle=False, as_tensor=False, drop_last=True)) == [list(range(10))]


def test_same_seed_same_batches_other_seed_other_batches(dataset):
    def two_epochs(seed):
        loader = DataLoader(dataset, 2, seed=seed, as_tensor=False, shuffle=True, drop_last=True)
        return epoch(loader) + epoch(loader)
    assert two_epochs(7) == two_epochs(7)
    assert two_epochs(7) != two_epochs(8)


def test_order_of_epoch_e_uses_default_rng_seed_plus_e(dataset):
    loader = DataLoader(dataset, 10, seed=5, as_tensor=False, shuffle=True, drop_last=True)
    np.testing.assert_array_equal(loader.order(3), np.random.default_rng(8).permutation(10))


def test_resume_mid_epoch_from_state_dict(dataset):
    reference = DataLoader(dataset, 2, seed=1, as_tensor=False, shuffle=True, drop_last=True)
    expected = epoch(reference) + epoch(reference)           # 2 epochs of 5 batches

    first = DataLoader(dataset, 2, seed=1, as_tensor=False, shuffle=True, drop_last=True)
    seen = []
    for batch in first:
        seen.append(indices(batch))
        if len(seen) == 3:
            state = first.state_dict()                        # saved while training batch 3
            break
    assert state == {"epoch": 0, "batch": 3, "seed": 1}

    resumed = DataLoader(dataset, 2, seed=123, as_tensor=False, shuffle=True, drop_last=True)
    resumed.load_state_dict(state)                            # restores the seed too
    seen += epoch(resumed) + epoch(resumed)                   # rest of epoch 0, all of epoch 1
    assert seen == expected and resumed.epoch == 2


def test_break_after_last_batch_starts_next_epoch(dataset):
    loader = DataLoader(dataset, 5, as_tensor=False, shuffle=True, drop_last=True)
    for i, _ in enumerate(loader):
        if i == 1:
            break                                             # epoch 0 fully consumed
    assert loader.state_dict()["batch"] == 2
    epoch(loader)
    assert loader.epoch == 2


def test_transform_is_applied_to_each_batch(dataset):
    loader = DataLoader(dataset, 5, transform=to_symmetric, shuffle=False, as_tensor=False, drop_last=True)
    images, _ = next(iter(loader))
    assert images.dtype == np.float32 and images.min() == -1.0


def test_unlabelled_dataset_and_bare_arrays_give_none_labels():
    loader = DataLoader(np.zeros((6, 1, 2, 2), np.uint8), 3, as_tensor=False, shuffle=True, drop_last=True)
    assert [labels for _, labels in loader] == [None, None]


def test_defaults_are_pytorchs_no_shuffle_and_keep_the_last_batch(dataset):
    loader = DataLoader(dataset, 4, as_tensor=False)
    assert epoch(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert DataLoader(dataset).batch_size == 1


def test_batch_size_larger_than_dataset_with_drop_last_is_an_error(dataset):
    with pytest.raises(ValueError, match="batch_size=11.*10 images"):
        DataLoader(dataset, 11, shuffle=True, drop_last=True)
    assert len(DataLoader(dataset, 11, drop_last=False, shuffle=True)) == 1


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_non_positive_batch_size_is_an_error(dataset, batch_size):
    with pytest.raises(ValueError, match=f"batch_size={batch_size}"):
        DataLoader(dataset, batch_size, shuffle=True, drop_last=True)


def test_yields_minigen_tensors_on_the_device(dataset, device):
    import minigen as mg
    loader = DataLoader(dataset, 4, transform=to_symmetric, device=device, shuffle=True, drop_last=True)
    images, labels = next(iter(loader))
    assert isinstance(images, mg.Tensor) and images.device == device
    assert images.shape == (4, 1, 2, 3) and images.dtype == np.float32
    assert not images.requires_grad and labels.shape == (4,)
