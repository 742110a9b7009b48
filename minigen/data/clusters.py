"""k-means: a data set cut into K groups of nearby images (Lloyd 1982, k-means++ seeding of
Arthur & Vassilvitskii 2007). The GANs use it to condition on a cluster id instead of a label
(``minigen/models/gan.py``, ``--set clusters=K``).

Lloyd's algorithm lowers the within-cluster sum of squares

    J(mu, a) = sum_i || x_i - mu_{a_i} ||^2

by alternating its two exact minimisations: a_i = argmin_k ||x_i - mu_k||^2 with mu fixed,
then mu_k = the mean of the x_i with a_i = k with a fixed. Neither step can raise J, so J
falls until the assignment stops changing (a local minimum; the seeding picks a good start).
"""
import numpy as np

from minigen.backend import get_array_module


def squared_distances(x, centroids):
    """||x_i - mu_k||^2 for every row pair, (N, K), as ||x||^2 - 2 x.mu + ||mu||^2 (one
    matrix product instead of an (N, K, D) difference). NumPy or CuPy arrays, both on one
    device: a training step looks up its batch's groups where the batch is."""
    xp = get_array_module(x, centroids)
    x = x.astype(xp.float64)
    mu = centroids.astype(xp.float64)
    d2 = (x * x).sum(1)[:, None] - 2 * x @ mu.T + (mu * mu).sum(1)[None, :]
    return xp.maximum(d2, 0.0)  # rounding can leave -1e-12 where a point sits on a centroid


def nearest_centroid(x, centroids):
    """a_i = argmin_k ||x_i - mu_k||^2 for the rows of x (N, D): (N,) int64 cluster ids."""
    return squared_distances(x, centroids).argmin(1)


def kmeans(x, k, iters=30, seed=0):
    """Cluster the rows of x (N, D) into k groups; returns (centroids (k, D) float32,
    ids (N,) int64). Seeding by k-means++: each next centroid is a data point drawn with
    probability proportional to its squared distance from the nearest centroid so far.
    Deterministic for a given seed (NumPy's generator of its own, not minigen's)."""
    x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(x):
        raise ValueError(f"k={k!r}: expected an integer from 1 to the number of points ({len(x)})")
    rng = np.random.default_rng(seed)
    centroids = [x[rng.integers(len(x))]]
    d2 = squared_distances(x, centroids[0][None])[:, 0]
    for _ in range(k - 1):
        # every point already a centroid has d2 = 0, so a duplicate is never drawn while others remain
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(len(x), 1 / len(x))
        centroids.append(x[rng.choice(len(x), p=p)])
        d2 = np.minimum(d2, squared_distances(x, centroids[-1][None])[:, 0])
    centroids = np.array(centroids)
    ids = nearest_centroid(x, centroids)
    for _ in range(iters):
        for j in range(k):
            members = ids == j
            if members.any():  # an emptied cluster keeps its centroid
                centroids[j] = x[members].mean(0)
        new = nearest_centroid(x, centroids)
        if np.array_equal(new, ids):
            break
        ids = new
    return centroids.astype(np.float32), ids
