"""A run directory ``runs/<name>/``: what a run writes and where.

    config.json        the run's settings (model, data, hyperparameters, seed)
    metrics.jsonl      one JSON line per logged step
    samples/           step_XXXXXX.png sample grids from a fixed noise batch
    losses.png         the loss curves, redrawn as training goes
    checkpoints/       ckpt_XXXXXX.npz, the last K kept
    .minigen-run       the marker: minigen made this folder (--overwrite deletes nothing without it)
    .minigen.lock      held (flock) by the process writing the run; holds its pid

Safety rules: one writer at a time (a second ``train`` on the same folder is refused
while the first runs; a lock left by a killed process is detected and taken over);
``--overwrite`` deletes only the files minigen names itself (config.json, metrics.jsonl,
losses.png, samples/step_*.png, checkpoints/ckpt_*.npz) and only in a folder that holds
minigen's marker; temporaries left by a killed writer are removed when a run starts.
"""
import json
import os
import re
import socket
from pathlib import Path

from .errors import TrainingError

try:
    import fcntl
except ImportError:  # Windows: fall back to a pid check
    fcntl = None

MARKER = ".minigen-run"
LOCK = ".minigen.lock"
_OWN_FILES = ("config.json", "metrics.jsonl", "losses.png", "eval.json")
_OWN_PATTERNS = {"samples": re.compile(r"step_\d+\.png$"), "checkpoints": re.compile(r"ckpt_\d+\.npz$")}


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


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
            config = json.loads(self.config_path.read_text())
        except (OSError, ValueError) as exc:
            raise TrainingError(f"{self.config_path}: cannot read the run's config ({exc})") from None
        if not (isinstance(config, dict) and isinstance(config.get("train"), dict)
                and isinstance(config.get("settings"), dict) and isinstance(config.get("model"), str)):
            raise TrainingError(f"{self.config_path}: not a minigen run config (expected an object with "
                                f"'model', 'train' and 'settings'; got {_preview(config)})")
        return config

    @property
    def marker_path(self):
        return self.path / MARKER

    @property
    def lock_path(self):
        return self.path / LOCK

    def has_leftovers(self):
        """Files of an earlier run (checkpoints, metrics, samples) even without a config.json."""
        return bool(self.metrics_path.exists() or self.own_files("checkpoints") or self.own_files("samples"))

    def own_files(self, sub):
        folder = self.path / sub
        if not folder.is_dir():
            return []
        return [p for p in folder.iterdir() if _OWN_PATTERNS[sub].match(p.name) and p.is_file()]

    # --- the lock ------------------------------------------------------------------
    def lock(self):
        """Become the run's only writer, or raise TrainingError naming the holder's pid.
        The lock is an flock on .minigen.lock (released by the kernel when the holder
        dies, even by kill -9); the file holds the holder's pid for the message."""
        if getattr(self, "_lock_fd", None) is not None:
            return
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise TrainingError(f"--out {self.path}: the directory is not writable ({exc.strerror})") from None
        holder = os.read(fd, 200).decode("utf-8", "replace").split()
        holder_pid = int(holder[0]) if holder and holder[0].isdigit() else None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = True
            except OSError:
                taken = False
        else:
            taken = holder_pid is None or holder_pid == os.getpid() or not _pid_alive(holder_pid)
        if not taken:
            os.close(fd)
            raise TrainingError(
                f"{self.path} is in use by another minigen process (pid {holder_pid or '?'}); "
                "wait for it to finish or stop it (Ctrl-C saves a checkpoint), then try again")
        if holder_pid is not None and holder_pid != os.getpid():
            print(f"{self.path}: took over a stale lock left by process {holder_pid}, which is no longer running")
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._lock_fd = fd

    def unlock(self):
        fd = getattr(self, "_lock_fd", None)
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # an empty lock file: released cleanly (not stale)
        except OSError:
            pass
        os.close(fd)  # releases the flock
        self._lock_fd = None

    # --- creating, reusing, replacing ----------------------------------------------
    def prepare(self, config, resume=False, overwrite=False):
        """Create (or reuse, or replace) the directory for ``config``; refuse to mix runs.
        Takes the run's lock (the caller releases it with ``unlock``)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrainingError(f"--out {self.path}: the directory is not writable ({exc.strerror})") from None
        self.lock()
        if resume and not self.holds_run():
            raise TrainingError(f"--resume {self.path}: no run there (no config.json)")
        if not resume and (self.holds_run() or self.has_leftovers()):
            if not overwrite:
                if self.holds_run():
                    old = self.read_config()
                    model = old.get("model") if isinstance(old, dict) else None
                    raise TrainingError(
                        f"{self.path} already holds a run (model {model!r}); pass "
                        f"--resume {self.path} to continue it or --overwrite to replace it")
                raise TrainingError(
                    f"{self.path} holds checkpoints or metrics of an earlier run but no config.json; "
                    "pass --overwrite to replace them, or choose another --out")
            if not self.marker_path.exists():
                raise TrainingError(
                    f"--overwrite {self.path}: this folder has no {MARKER} marker, so minigen cannot "
                    "tell that it wrote it and deletes nothing in it; remove the files yourself "
                    "or choose another --out")
            self._remove_run_files()
        try:
            self.remove_stale_temporaries()
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write_test"
            probe.write_text("ok")
            probe.unlink()
            if not self.marker_path.exists() and not resume:
                self.marker_path.write_text("This folder is a minigen run directory.\n")
        except OSError as exc:
            raise TrainingError(f"--out {self.path}: the directory is not writable ({exc.strerror})") from None
        if not resume:
            write_text_atomic(self.config_path, json.dumps(config, indent=2, sort_keys=True) + "\n")

    def remove_stale_temporaries(self):
        """Delete the hidden ``.NAME.tmp`` files a killed writer left (up to a checkpoint
        each). Only called while holding the lock, so no live writer owns them."""
        removed = []
        for folder in (self.path, self.checkpoints_dir, self.samples_dir):
            if folder.is_dir():
                for p in folder.glob(".*.tmp"):
                    p.unlink(missing_ok=True)
                    removed.append(p.name)
        if removed:
            print(f"{self.path}: removed {len(removed)} temporary file(s) left by an interrupted write")
        return removed

    def _remove_run_files(self):
        """Delete what minigen wrote, by name; anything else in the folder stays."""
        for name in _OWN_FILES:
            (self.path / name).unlink(missing_ok=True)
        for sub in _OWN_PATTERNS:
            for p in self.own_files(sub):
                p.unlink()

    def read_metrics(self):
        """The metric rows; a damaged line (cut by a crash, edited by hand) is skipped and
        its line number kept in ``self.damaged_lines``; the lines after it are kept."""
        self.damaged_lines = []
        if not self.metrics_path.exists():
            return []
        rows = []
        for number, line in enumerate(self.metrics_path.read_text(errors="replace").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict) or not isinstance(row.get("step"), int):
                        raise ValueError
                    rows.append(row)
                except ValueError:
                    self.damaged_lines.append(number)
        return rows

    def truncate_metrics(self, last_step):
        """Keep the metric lines up to ``last_step`` (a resume replays the steps after it)."""
        rows = [r for r in self.read_metrics() if r["step"] <= last_step]
        if self.damaged_lines:
            print(f"{self.metrics_path}: skipped {len(self.damaged_lines)} damaged line(s) "
                  f"(line {', '.join(map(str, self.damaged_lines))}); kept the {len(rows)} lines "
                  f"up to step {last_step}")
        write_text_atomic(self.metrics_path, "".join(json.dumps(r) + "\n" for r in rows))

    def append_metrics(self, row):
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(row) + "\n")


def _preview(value):
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def write_text_atomic(path, text):
    """Write a file so that a crash leaves either the old or the new content, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
