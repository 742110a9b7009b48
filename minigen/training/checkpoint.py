"""Checkpoints: every network, every optimizer, the RNG and data-order state, the step.

Written with ``minigen.save`` (one .npz, no pickled code, temporary file + fsync +
rename), so an interrupted write never destroys the last good checkpoint.
"""
import re
import sys
from pathlib import Path

import numpy as np

import minigen
from minigen import backend
from minigen import random as mg_random

from .errors import TrainingError

FORMAT = "minigen-checkpoint"
FORMAT_VERSION = 1
_NAME = re.compile(r"ckpt_(\d+)\.npz$")


class NonFiniteState(TrainingError):
    """The model's state holds NaN or infinity: it must not become a checkpoint."""


def non_finite_entry(state, path=""):
    """The path of the first floating array (or number) in ``state`` that is not finite, or None."""
    if isinstance(state, dict):
        items = state.items()
    elif isinstance(state, (list, tuple)):
        items = enumerate(state)
    else:
        if isinstance(state, float):
            return None if np.isfinite(state) else path
        if hasattr(state, "dtype") and np.issubdtype(state.dtype, np.inexact):
            return None if bool(np.isfinite(backend.as_numpy(state)).all()) else path
        return None
    for k, v in items:
        found = non_finite_entry(v, f"{path}/{k}" if path else str(k))
        if found:
            return found
    return None


def checkpoints(run):
    """The run's checkpoint files, oldest first, ordered by step number (not by name:
    ckpt_1000000 comes after ckpt_999999)."""
    folder = Path(run.checkpoints_dir)
    found = [(int(m.group(1)), p) for p in folder.glob("ckpt_*.npz") if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def save_checkpoint(run, step, model, loader, keep=3):
    state = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "minigen_version": minigen.__version__, "model": model.name, "step": int(step),
        "model_state": model.state_dict(),  # checked below: only finite state is saved
        "rng": mg_random.get_rng_state(),
        "loader": loader.state_dict(),
    }
    bad = non_finite_entry(state["model_state"])
    if bad:
        raise NonFiniteState(f"step {step}: the model's state {bad} is no longer finite (NaN or infinity)")
    path = run.checkpoints_dir / f"ckpt_{step:06d}.npz"
    minigen.save(state, path)
    old = checkpoints(run)[:-keep] if keep > 0 else []
    for p in old:
        if p != path:
            p.unlink(missing_ok=True)
    return path


def latest_checkpoint(run):
    found = checkpoints(run)
    return found[-1] if found else None


def load_latest(run, model_name=None):
    """(path, state) of the newest checkpoint that can be read and holds finite state.
    A damaged newer one is skipped with a note naming both; TrainingError if none is
    intact (naming why the newest failed) or there is none."""
    found = checkpoints(run)
    if not found:
        raise TrainingError(f"{run.path}: the run has no checkpoint yet")
    skipped = []
    for path in reversed(found):
        try:
            state = load_checkpoint(path, model_name)
        except TrainingError as exc:
            if "cannot be read" not in str(exc):
                raise  # another model or format: not damage, a mistake to report
            skipped.append((path, exc))
            continue
        bad = non_finite_entry(state.get("model_state"))
        if bad:
            skipped.append((path, f"{path} holds non-finite values ({bad})"))
            continue
        if skipped:
            names = ", ".join(p.name for p, _ in skipped)
            print(f"{run.path}: {names} cannot be used ({skipped[0][1]}); using {path.name}, the newest "
                  "intact checkpoint", file=sys.stderr)
        return path, state
    raise TrainingError(f"{run.path}: no intact checkpoint ({skipped[0][1]})")


def load_checkpoint(path, model_name=None):
    """Read and validate a checkpoint; TrainingError names what is wrong."""
    try:
        state = minigen.load(path)
    except Exception as exc:  # truncated or corrupt file
        raise TrainingError(f"checkpoint {path} cannot be read: {exc}") from None
    if state.get("format") != FORMAT:
        raise TrainingError(f"{path} is not a minigen checkpoint")
    if int(state.get("format_version", 0)) != FORMAT_VERSION:
        raise TrainingError(
            f"{path} was written by minigen {state.get('minigen_version')} (checkpoint format "
            f"{state.get('format_version')}); this minigen {minigen.__version__} reads format {FORMAT_VERSION}")
    if model_name is not None and state.get("model") != model_name:
        raise TrainingError(f"{path} holds a {state.get('model')!r} model, not {model_name!r}")
    return state


def restore(state, model, loader):
    try:
        model.load_state_dict(state["model_state"])
    except (KeyError, ValueError, RuntimeError) as exc:
        raise TrainingError(f"the checkpoint does not fit this model: {exc}") from None
    mg_random.set_rng_state(state["rng"])
    loader.load_state_dict(state["loader"])
    return int(state["step"])
