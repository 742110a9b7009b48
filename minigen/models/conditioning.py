"""How a GAN is told which kind of image to make: a one-hot condition y (a label for cgan, a
k-means cluster id for ``--set clusters=K``) enters both players.

    G(z, y): [z, y] (N, nz + K, 1, 1) -> the DCGAN generator
    D(x, y) = psi(phi(x)) + < embed(y), phi(x) >      the projection discriminator

The critic is the projection discriminator of Miyato & Koyama (2018): phi(x) D's last feature
map (N, 2d, 7, 7), psi D's final layer and embed(y) a learned (2d, 7, 7) map per condition.
It is the form the optimal critic's logit takes when the conditions' densities are
log-linear in phi, and it asks far less of D than discovering, from K constant input planes,
that the condition matters (cgan keeps that older form as ``--set critic=concat``).
"""
import numpy as np

import minigen as mg
from minigen import backend, nn


class ProjectionCritic(nn.Module):
    """D(x, y) = psi(phi(x)) + <embed(y), phi(x)>: ``net``'s layers but the last are phi, its
    last layer psi; ``embed`` maps a one-hot condition to a map the shape of phi(x)."""

    def __init__(self, net, n_classes):
        super().__init__()
        self.net = net
        side = net[-1].kernel_size[0]
        self.embed = nn.Linear(n_classes, net[-1].in_channels * side * side, bias=False)

    def forward(self, x, y_onehot):
        features = self.net[:-1](x)
        inner = (features * self.embed(y_onehot).reshape(features.shape)).sum(axis=(1, 2, 3))
        return self.net[-1](features) + inner.reshape(x.shape[0], 1, 1, 1)


def one_hot(labels, k, device="cpu"):
    """(N,) integer labels -> (N, K) float32 indicator rows, built on ``device`` (labels
    already there are not copied back to the host)."""
    xp = backend.xp_for(device)
    y = backend.to_device(np.asarray(labels) if isinstance(labels, (list, tuple)) else labels, device)
    y = y.astype(xp.int64)
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= k:
        raise ValueError(f"labels must lie in 0..{k - 1}, got {low}..{high}")
    return mg.tensor(xp.eye(k, dtype=xp.float32)[y], device=device)
