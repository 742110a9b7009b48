"""A run directory ``runs/<name>/``: what a run writes and where.

    config.json        the run's settings (model, data, hyperparameters, seed)
    metrics.jsonl      one JSON line per logged step
    samples/           step_XXXXXX.png sample grids from a fixed noise batch
    losses.png         the loss curves, redrawn as training goes
    checkpoints/       ckpt_XXXXXX.npz, the last K kept
"""
import json
import os
import shutil
from pathlib import Path

from .errors import TrainingError


class RunDir:
    def __init__(self, path):
        self.path = Path(path)

    @property
    def config_path(self):
        return self.path / "config.json"

    @property
    def metrics_path(self):
        return self.path / "metrics.jsonl"

    @property
    def samples_dir(self):
        return self.path / "samples"

    @property
    def checkpoints_dir(self):
        return self.path / "checkpoints"

    @property
    def losses_png(self):
        return self.path / "losses.png"

    def holds_run(self):
        return self.config_path.exists()

    def read_config(self):
        try:
            return json.loads(self.config_path.read_text())
        except (OSError, ValueError) as exc:
            raise TrainingError(f"{self.config_path}: cannot read the run's config ({exc})") from None

    def prepare(self, config, resume=False, overwrite=False):
        """Create (or reuse, or replace) the directory for ``config``; refuse to mix runs."""
        if self.holds_run() and not resume:
            if not overwrite:
                old = self.read_config()
                raise TrainingError(
                    f"{self.path} already holds a run (model {old.get('model')!r}); pass "
                    f"--resume {self.path} to continue it or --overwrite to replace it")
            self._remove_run_files()
        if resume and not self.holds_run():
            raise TrainingError(f"--resume {self.path}: no run there (no config.json)")
        try:
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write_test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise TrainingError(f"--out {self.path}: the directory is not writable ({exc.strerror})") from None
        if not resume:
            write_text_atomic(self.config_path, json.dumps(config, indent=2, sort_keys=True) + "\n")

    def _remove_run_files(self):
        for name in ("config.json", "metrics.jsonl", "losses.png"):
            (self.path / name).unlink(missing_ok=True)
        for sub in (self.samples_dir, self.checkpoints_dir):
            if sub.exists():
                shutil.rmtree(sub)

    def read_metrics(self):
        if not self.metrics_path.exists():
            return []
        rows = []
        for line in self.metrics_path.read_text().splitlines():
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    break  # a line cut by a crash: everything after it is suspect
        return rows

    def truncate_metrics(self, last_step):
        """Keep the metric lines up to ``last_step`` (a resume replays the steps after it)."""
        rows = [r for r in self.read_metrics() if r["step"] <= last_step]
        write_text_atomic(self.metrics_path, "".join(json.dumps(r) + "\n" for r in rows))

    def append_metrics(self, row):
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(row) + "\n")


def write_text_atomic(path, text):
    """Write a file so that a crash leaves either the old or the new content, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
