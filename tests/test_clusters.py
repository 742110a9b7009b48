"""k-means (minigen/data/clusters.py), the GANs' ``--set clusters=K`` condition: Lloyd's two
steps checked against their definitions, and the groups a GAN keeps across a checkpoint."""
import numpy as np
import pytest

from minigen.data.clusters import kmeans, nearest_centroid, squared_distances
from minigen.models import get_model_class


def blobs(seed=0):
    """Three tight groups of 30 points far apart in 5-D, and which group each point is in."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * 5, [10.0] * 5, [0.0, 10.0, 0.0, 10.0, 0.0]])
    truth = np.repeat(np.arange(3), 30)
    return (centres[truth] + 0.1 * rng.standard_normal((90, 5))).astype(np.float32), truth


def within_sum_of_squares(x, centroids, ids):
    return float(((x.astype(np.float64) - centroids[ids].astype(np.float64)) ** 2).sum())


def test_squared_distances_and_nearest_centroid_by_brute_force():
    rng = np.random.default_rng(1)
    x, mu = rng.standard_normal((7, 4)), rng.standard_normal((3, 4))
    brute = ((x[:, None, :] - mu[None]) ** 2).sum(-1)
    np.testing.assert_allclose(squared_distances(x, mu), brute, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(nearest_centroid(x, mu), brute.argmin(1))


def test_kmeans_recovers_separated_groups():
    x, truth = blobs()
    centroids, ids = kmeans(x, 3, seed=0)
    # the same partition up to the order of the groups: each found group is one true group
    assert sorted(len(set(truth[ids == j])) for j in range(3)) == [1, 1, 1]
    assert sorted(np.bincount(ids, minlength=3)) == [30, 30, 30]


def test_kmeans_ends_at_a_fixed_point_of_both_of_lloyds_steps():
    """Each centroid is the mean of its members and each point sits with its nearest centroid,
    and the iterations lowered J below what the k-means++ seeding alone gave."""
    x = np.random.default_rng(2).standard_normal((200, 6)).astype(np.float32)
    centroids, ids = kmeans(x, 8, iters=100, seed=3)
    for j in range(8):
        np.testing.assert_allclose(centroids[j], x[ids == j].mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ids, nearest_centroid(x, centroids))
    seeded, seeded_ids = kmeans(x, 8, iters=0, seed=3)
    assert within_sum_of_squares(x, centroids, ids) < within_sum_of_squares(x, seeded, seeded_ids)


def test_kmeans_is_deterministic_per_seed_and_checks_k():
    x = np.random.default_rng(4).standard_normal((50, 3)).astype(np.float32)
    a, b = kmeans(x, 4, seed=5), kmeans(x, 4, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    for k in (0, 51, 2.5, True):
        with pytest.raises(ValueError, match=f"k={k!r}"):
            kmeans(x, k)


def test_a_gan_keeps_its_clusters_in_its_state_and_refuses_to_train_without_them():
    cls = get_model_class("dcgan")
    config = {**cls.defaults, "g_width": 8, "d_width": 8, "nz": 8, "clusters": 4}
    train = np.random.default_rng(6).uniform(-1, 1, (20, 1, 28, 28)).astype(np.float32)
    fresh = cls(config, image_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="clusters=4 needs the training images' clusters"):
        fresh.batch_condition(fresh.noise(2).reshape(2, 8, 1, 1), None)
    model = cls(config, image_shape=(1, 28, 28))
    model.prepare(train)
    other = cls(config, image_shape=(1, 28, 28))
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.centroids, model.centroids)
    np.testing.assert_array_equal(other.cluster_sizes, model.cluster_sizes)
    np.testing.assert_array_equal(other.sample(6).numpy(), other.sample(6).numpy())  # fixed draws
    with pytest.raises(ValueError, match="clusters=30: more groups than the 20 training images"):
        cls({**config, "clusters": 30}, image_shape=(1, 28, 28)).prepare(train)
    with pytest.raises(ValueError, match="clusters=-1"):
        cls({**config, "clusters": -1}, image_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="cgan conditions on the labels"):
        get_model_class("cgan")({**get_model_class("cgan").defaults, "clusters": 3}, image_shape=(1, 28, 28))


def test_sampled_conditions_follow_the_cluster_sizes():
    cls = get_model_class("dcgan")
    model = cls({**cls.defaults, "g_width": 8, "d_width": 8, "nz": 8, "clusters": 3}, image_shape=(1, 28, 28))
    model.centroids = np.zeros((3, 784), np.float32)
    model.cluster_sizes = np.array([0, 10, 30])
    counts = model.sample_condition(4000, seed=7).numpy().sum(0)
    assert counts[0] == 0
    assert counts[2] / counts[1] == pytest.approx(3.0, rel=0.1)
