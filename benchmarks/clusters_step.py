"""What the clusters condition costs per step: dcgan's default train_step with clusters=0 and
with clusters=50, alternated step by step in one process (1 thread), median of 14 each.

    OMP_NUM_THREADS=1 python benchmarks/clusters_step.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import time  # noqa: E402

import numpy as np  # noqa: E402

import minigen as mg  # noqa: E402
from minigen.data import load_dataset, to_symmetric  # noqa: E402
from minigen.models import get_model_class  # noqa: E402

mg.set_num_threads(1)
cls = get_model_class("dcgan")
x = to_symmetric(load_dataset("embedded", "train").images)
models = {}
for k in (0, 50):
    mg.manual_seed(0)
    m = cls({**cls.defaults, "clusters": k}, image_shape=(1, 28, 28))
    m.prepare(x)
    models[k] = m
t = {0: [], 50: []}
rng = np.random.default_rng(0)
for i in range(16):
    b = mg.tensor(x[rng.choice(len(x), 64, replace=False)])
    for k in (0, 50) if i % 2 else (50, 0):
        s = time.perf_counter()
        models[k].train_step(b, None)
        t[k].append(time.perf_counter() - s)
m0, m50 = np.median(t[0][2:]), np.median(t[50][2:])
print(f"dcgan step, 1 thread, median of 14: clusters=0 {m0*1000:.0f} ms, clusters=50 {m50*1000:.0f} ms, ratio {m50/m0:.3f}")
