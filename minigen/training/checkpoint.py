"""Checkpoints: every network, every optimizer, the RNG and data-order state, the step.

Written with ``minigen.save`` (one .npz, no pickled code, temporary file + fsync +
rename), so an interrupted write never destroys the last good checkpoint.
"""
from pathlib import Path

import minigen
from minigen import random as mg_random

from .errors import TrainingError

FORMAT = "minigen-checkpoint"
FORMAT_VERSION = 1


def save_checkpoint(run, step, model, loader, keep=3):
    state = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "minigen_version": minigen.__version__, "model": model.name, "step": int(step),
        "model_state": model.state_dict(),
        "rng": mg_random.get_rng_state(),
        "loader": loader.state_dict(),
    }
    path = run.checkpoints_dir / f"ckpt_{step:06d}.npz"
    minigen.save(state, path)
    old = sorted(run.checkpoints_dir.glob("ckpt_*.npz"))[:-keep] if keep > 0 else []
    for p in old:
        p.unlink(missing_ok=True)
    return path


def latest_checkpoint(run):
    found = sorted(Path(run.checkpoints_dir).glob("ckpt_*.npz"))
    return found[-1] if found else None


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
