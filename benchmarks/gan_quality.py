"""Sample quality of the GAN family on a fixed CPU budget (issue 14's targets).

    python benchmarks/gan_quality.py [--data embedded] [--runs runs/quality] [--train]
                                     [--models dcgan,cgan,wgan-gp,wgan] [--seeds 0,1]
                                     [--threads 2] [--step-times]

Each name in --models is a row of RUNS: a model trained with its defaults (the recipe that
meets the 10-minute targets) or one ablation of it (``dcgan-radford``: Radford et al.'s
hyperparameters, ...). With --train, each run is trained (``minigen train MODEL --seed S``)
one after the other, so each has the machine to itself: the wall time in the table is a
budget measurement only when nothing else runs. Without --train, existing runs are
evaluated. Each run is scored with ``minigen eval`` (FLD with its real-vs-real floor and
noise ceiling, classifier Inception score, class coverage, confident fraction, cgan label
accuracy); the script prints a Markdown table, writes the final sample grids side by side to
``benchmarks/figures/gan_samples_<data>.png`` and each WGAN's critic estimate against the step
to ``benchmarks/figures/wgan_estimate_<data>.png``.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name: (model, extra arguments). No --steps: each model's default is its budget.
RUNS = {
    "dcgan": ("dcgan", []),
    "cgan": ("cgan", []),
    "wgan-gp": ("wgan-gp", []),
    "wgan": ("wgan", []),
    # the ablation: the paper recipes, and the default with one ingredient taken out
    "dcgan-radford": ("dcgan", ["--set", "recipe=radford"]),
    "cgan-radford": ("cgan", ["--set", "recipe=radford"]),
    "wgan-gp-gulrajani": ("wgan-gp", ["--set", "recipe=gulrajani"]),
    "wgan-arjovsky": ("wgan", ["--set", "recipe=arjovsky"]),
}


def run_name(name, seed):
    return name if seed == 0 else f"{name}-seed{seed}"


def train_command(name, data, runs, seed=0):
    model, extra = RUNS[name]
    return ["minigen", "train", model, "--data", data, "--seed", str(seed),
            "--out", str(runs / run_name(name, seed)), "--sample-every", "100",
            "--checkpoint-every", "500", "--overwrite", "--no-progress", *extra]


def step_times(names, repeat=5):
    """Median seconds per training step of each run's configuration, on one fixed batch of 64
    embedded digits (in this process, so set the thread count in the environment first)."""
    import numpy as np
    sys.path.insert(0, str(HERE.parent))
    import minigen as mg
    from minigen.data import load_dataset, to_symmetric
    from minigen.models import get_model_class
    data = load_dataset("embedded", "train")
    x, y = mg.tensor(to_symmetric(data.images[:64])), data.labels[:64]
    out = {}
    for name in names:
        model, extra = RUNS[name]
        settings = dict(a.split("=", 1) for a in extra[1::2])
        cls = get_model_class(model)
        mg.manual_seed(0)
        config = cls.resolve_settings({k: json.loads(v) if v[:1].isdigit() else v for k, v in settings.items()})
        m = cls(config, image_shape=(1, 28, 28))
        steps = config["steps"]
        for _ in range(2):
            m.train_step(x, y)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            m.train_step(x, y)
            times.append(time.perf_counter() - t0)
        out[name] = float(np.median(times))
        print(f"{name}: {out[name]:.3f} s/step; {steps} steps = {steps * out[name] / 60:.1f} min", flush=True)
    return out


def run(cmd, env):
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    return time.perf_counter() - t0


def last_row(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line]
    return rows[-1], rows


def table(results):
    head = ("| run | steps | train wall s | FLD (floor / noise) | FLD / floor | IS | classes | class KL | "
            "confident | label acc |\n| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    lines = [head]
    for name, r in results.items():
        m = r["metrics"]
        acc = f"{m['label_accuracy']:.3f}" if "label_accuracy" in m else "–"
        lines.append(f"| {name} | {r['steps']} | {r['wall']:.0f} | {m['fld']:.2f} ({m['fld_floor']:.2f} / "
                     f"{m['fld_noise']:.0f}) | {m['fld'] / m['fld_floor']:.1f}x | {m['inception_score']:.2f} | "
                     f"{m['classes_covered']}/10 | "
                     f"{m['class_kl']:.3f} | {m['confident_fraction']:.3f} | {acc} |")
    return "\n".join(lines)


def figures(results, runs, data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(results)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes[0], names):
        grid = sorted((runs / name / "samples").glob("step_*.png"))[-1]
        ax.imshow(plt.imread(grid), cmap="gray")
        ax.set_title(f"{name}, step {results[name]['steps']}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    out = HERE / "figures" / f"gan_samples_{data}.png"
    fig.savefig(out, dpi=90)
    plt.close(fig)
    from PIL import Image
    Image.open(out).convert("L").save(out, optimize=True)  # grey digits: a third of the RGB file
    wgans = [n for n in names if n.startswith("wgan")]
    if wgans:
        fig, axes = plt.subplots(1, len(wgans), figsize=(4 * len(wgans), 3), squeeze=False)
        for ax, name in zip(axes[0], wgans):
            rows = results[name]["rows"]
            ax.plot([r["step"] for r in rows], [r["wasserstein"] for r in rows], lw=0.8)
            ax.set_title(f"{name}: critic's estimate of W", fontsize=9)
            ax.set_xlabel("critic step")
            ax.set_ylabel("E[D(x)] - E[D(G(z))]")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(HERE / "figures" / f"wgan_estimate_{data}.png", dpi=90)
        plt.close(fig)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="embedded")
    p.add_argument("--runs", default="runs/quality", help="where the runs are (or go, with --train)")
    p.add_argument("--models", default=",".join(RUNS))
    p.add_argument("--train", action="store_true", help="train the runs first (10 minutes each)")
    p.add_argument("--seeds", default="0", help="comma-separated seeds; seed S > 0 runs go to NAME-seedS")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (1 when the machine is shared)")
    p.add_argument("--step-times", action="store_true",
                   help="only time one training step of each run's configuration (batch 64) and "
                        "say how long its steps take: the check of the 10-minute budget")
    args = p.parse_args()
    if args.step_times:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(args.threads)
        step_times(args.models.split(","))
        return 0
    runs = Path(args.runs) / args.data
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "OPENBLAS_NUM_THREADS": str(args.threads)}
    results = {}
    for name in args.models.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            out = run_name(name, seed)
            wall = run(train_command(name, args.data, runs, seed), env) if args.train else None
            last, rows = last_row(runs / out)
            wall = wall if wall is not None else last["time"]
            run(["minigen", "eval", str(runs / out)], env)
            metrics = json.loads((runs / out / "eval.json").read_text())
            results[out] = {"steps": last["step"], "wall": wall, "metrics": metrics, "rows": rows}
    print()
    print(table(results))
    print(f"\nsample grids: {figures(results, runs, args.data)}")


if __name__ == "__main__":
    sys.exit(main())
