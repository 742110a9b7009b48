"""Sample grids of several runs side by side, one panel each, for RESULTS.md's figures.

    python benchmarks/sample_panels.py OUT.png "TITLE|RUN[@STEP]" ...

Each panel is ``model.sample(64)`` (the fixed noise of ``minigen sample``) from RUN's newest
checkpoint, or from its checkpoint at STEP; ``\n`` in a title breaks the line.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minigen.data import make_grid  # noqa: E402
from minigen.training import checkpoint as ckpt  # noqa: E402
from minigen.training.loop import load_run  # noqa: E402

panels = [a.rsplit("|", 1) for a in sys.argv[2:]]
fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.9))
for ax, (title, spec) in zip(axes, panels):
    run, _, step = spec.partition("@")
    model, cfg, rd = load_run(run)
    if step:
        model.load_state_dict(ckpt.load_checkpoint(rd.path / "checkpoints" / f"ckpt_{int(step):06d}.npz", cfg.model)["model_state"])
        model.eval()
    g = make_grid(model.sample(64).numpy(), nrow=8, value_range=(-1, 1))
    ax.imshow(g.squeeze(), cmap="gray", vmin=0, vmax=255)
    ax.set_title(title.replace("\\n", "\n"), fontsize=9)
    ax.axis("off")
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=110)
print("wrote", sys.argv[1])
