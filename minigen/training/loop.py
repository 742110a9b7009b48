"""The training loop every model shares.

    for step in 1..steps:
        images, labels = next batch            (the DataLoader's seeded order)
        losses = model.train_step(images, labels)
        log / sample / checkpoint on their schedules

Ctrl-C does not kill a step halfway: the first one sets a flag, the step in flight
finishes, a checkpoint is written and the run stops cleanly (a second Ctrl-C stops at
once). ``--resume`` restores networks, optimizers, the RNG and the position in the data,
so on the CPU a resumed run reproduces the losses of one that was never interrupted.
"""
import math
import signal
import time
from dataclasses import asdict, dataclass, field

from tqdm import tqdm

import minigen as mg
from minigen import backend
from minigen.data import DataLoader, load_dataset, save_image_grid, to_symmetric, to_unit
from minigen.models import get_model_class

from . import checkpoint as ckpt
from .errors import TrainingError
from .plots import plot_losses
from .rundir import RunDir


@dataclass
class TrainConfig:
    model: str = "autoencoder"
    data: str = "embedded"
    device: str = "cpu"
    steps: int = None            # None: the model's default (or --epochs)
    epochs: int = None
    batch_size: int = None       # None: the model's default
    lr: float = None
    seed: int = 0
    out: str = None              # default runs/<model>
    resume: str = None
    overwrite: bool = False
    log_every: int = 10
    sample_every: int = 100
    checkpoint_every: int = 100
    keep: int = 3
    progress: bool = True
    options: dict = field(default_factory=dict)  # model-specific settings
    stop_after: int = None       # for tests: act as if Ctrl-C came during this step


class _Interrupt:
    """SIGINT -> a flag the loop checks between steps; a second SIGINT raises at once."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            self.previous = None
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def load_split(model, data, split):
    """Split ``split`` of ``data`` as model ``model`` reads it: through the model's own
    ``load_data`` where it has one (CycleGAN's two domains side by side), else ``load_dataset``."""
    return (getattr(get_model_class(model), "load_data", None) or load_dataset)(data, split)


def _check_positive(name, value, kind):
    if value is None:
        return None
    try:
        ok = kind(value) == value and value > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise TrainingError(f"--{name.replace('_', '-')}={value!r}: expected a positive {kind.__name__}")
    return kind(value)


def _settings(cfg, model_cls):
    """The run's settings: the model's defaults (and recipe) overridden by what the user gave."""
    try:
        s = model_cls.resolve_settings(cfg.options)
    except ValueError as exc:
        raise TrainingError(str(exc)) from None
    for key in ("lr", "batch_size", "steps"):
        if getattr(cfg, key) is not None:
            s[key] = getattr(cfg, key)
    _check_positive("lr", s["lr"], float)
    _check_positive("batch_size", s["batch_size"], int)
    _check_positive("steps", s["steps"], int)
    _check_positive("epochs", cfg.epochs, int)
    for key in ("log_every", "sample_every", "checkpoint_every", "keep"):
        _check_positive(key, getattr(cfg, key), int)
    return s


def _resolve(cfg):
    """For --resume, the saved config wins; only --steps may extend the run."""
    if cfg.resume is None:
        return cfg, RunDir(cfg.out or f"runs/{cfg.model}")
    run = RunDir(cfg.resume)
    if not run.holds_run():
        raise TrainingError(f"--resume {cfg.resume}: no run there (no config.json)")
    saved = run.read_config()
    resumed = TrainConfig(**{**asdict(TrainConfig()), **saved["train"]})
    resumed.resume, resumed.progress, resumed.stop_after = cfg.resume, cfg.progress, cfg.stop_after
    resumed.device = cfg.device
    if cfg.steps is not None:
        resumed.steps = cfg.steps
    resumed.options = saved.get("train", {}).get("options", {})
    return resumed, run


def _forever(loader):
    while True:
        yield from loader


def _to_float(v):
    return float(v.item()) if hasattr(v, "item") else float(v)


def build(cfg, settings, dataset):
    """Seed, then make the model and the data loader (in this order, always)."""
    model_cls = get_model_class(cfg.model)
    mg.manual_seed(cfg.seed)
    model = model_cls(settings, device=cfg.device, image_shape=dataset.images.shape[1:])
    transform = to_symmetric if model.data_range == "symmetric" else to_unit
    loader = DataLoader(dataset, settings["batch_size"], shuffle=True, drop_last=True,
                        seed=cfg.seed, transform=transform, device=cfg.device)
    return model, loader


def train(cfg):
    """Train ``cfg.model`` on ``cfg.data``; returns the RunDir. Raises TrainingError."""
    cfg, run = _resolve(cfg)
    try:
        backend.check_device(cfg.device)
        model_cls = get_model_class(cfg.model)
        dataset = load_split(cfg.model, cfg.data, "train")
    except (RuntimeError, ValueError, OSError) as exc:
        raise TrainingError(str(exc)) from None
    settings = _settings(cfg, model_cls)
    try:
        model, loader = build(cfg, settings, dataset)
    except ValueError as exc:
        raise TrainingError(str(exc)) from None
    total = settings["steps"] if cfg.epochs is None else cfg.epochs * len(loader)
    run.prepare({"model": cfg.model, "train": {**asdict(cfg), "resume": None, "stop_after": None,
                                                "progress": True, "overwrite": False},
                 "settings": settings, "minigen_version": mg.__version__},
                resume=cfg.resume is not None, overwrite=cfg.overwrite)
    test_images = _held_out(cfg, model, loader)
    if hasattr(model, "set_probe"):
        model.set_probe(test_images)

    start = 0
    if cfg.resume is not None:
        path = ckpt.latest_checkpoint(run)
        if path is None:
            raise TrainingError(f"--resume {run.path}: the run has no checkpoint yet")
        start = ckpt.restore(ckpt.load_checkpoint(path, cfg.model), model, loader)
        run.truncate_metrics(start)
    if start >= total:
        print(f"{run.path}: already trained for {start} steps (pass --steps N with N > {start} to go on)")
        run.interrupted = False
        return run

    run.interrupted = _loop(cfg, run, model, loader, start, total)
    return run


def _held_out(cfg, model, loader):
    """A fixed batch of test images (the probe for reconstructions), on the device."""
    test = load_split(cfg.model, cfg.data, "test") if cfg.data == "embedded" else loader.dataset
    transform = loader.transform
    return mg.tensor(transform(test.images[:32]), device=cfg.device)


def _loop(cfg, run, model, loader, start, total):
    rows = run.read_metrics()
    batches = _forever(loader)
    t0, last_good = time.perf_counter(), ckpt.latest_checkpoint(run)
    check_every_step = cfg.device == "cpu"  # reading a loss is free on the CPU, a sync on the GPU
    bar = tqdm(total=total, initial=start, unit="step", disable=not cfg.progress,
               desc=f"{cfg.model}", dynamic_ncols=True)
    model.train()
    with _Interrupt() as interrupt:
        for step in range(start + 1, total + 1):
            images, labels = next(batches)
            losses = model.train_step(images, labels)
            logging = step % cfg.log_every == 0 or step == total
            checkpointing = step % cfg.checkpoint_every == 0 or step == total
            if logging or checkpointing or check_every_step:
                values = {k: _to_float(v) for k, v in losses.items()}
                bad = [k for k, v in values.items() if not math.isfinite(v)]
                if bad:
                    bar.close()
                    where = f"the last good checkpoint is {last_good}" if last_good else "no checkpoint was written yet"
                    raise TrainingError(
                        f"step {step}: loss {bad[0]} = {values[bad[0]]}; training stopped and {where} "
                        f"(resume with --resume {run.path}, perhaps with a lower --lr)")
            if logging:
                elapsed = time.perf_counter() - t0
                row = {"step": step, **values, "time": round(elapsed, 3),
                       "steps_per_s": round((step - start) / max(elapsed, 1e-9), 3)}
                run.append_metrics(row)
                rows.append(row)
                bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)
            if step % cfg.sample_every == 0 or step == total:
                _write_samples(run, model, step)
                plot_losses(rows, run.losses_png, f"{cfg.model} on {cfg.data}")
            interrupted = interrupt.requested or step == cfg.stop_after
            if checkpointing or interrupted:
                last_good = ckpt.save_checkpoint(run, step, model, loader, keep=cfg.keep)
            bar.update(1)
            if interrupted:
                bar.close()
                print(f"interrupted at step {step}; checkpoint saved to {last_good}; "
                      f"continue with: minigen train --resume {run.path}")
                return True
    bar.close()
    return False


def _write_samples(run, model, step):
    n, nrow = getattr(model, "grid", (64, 8))  # (images, per row); cgan shows a row per digit
    with mg.no_grad():
        images = model.sample(n)
    save_image_grid(images, run.samples_dir / f"step_{step:06d}.png", nrow=nrow, value_range=model.value_range)


def load_run(run_path, device="cpu"):
    """Rebuild a run's model from its config and latest checkpoint (for sample / eval)."""
    run = RunDir(run_path)
    if not run.holds_run():
        raise TrainingError(f"{run_path}: not a run directory (no config.json)")
    saved = run.read_config()
    cfg = TrainConfig(**{**asdict(TrainConfig()), **saved["train"]})
    cfg.device = device
    try:
        backend.check_device(device)
        dataset = load_split(cfg.model, cfg.data, "train")
        model, loader = build(cfg, saved["settings"], dataset)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TrainingError(str(exc)) from None
    path = ckpt.latest_checkpoint(run)
    if path is None:
        raise TrainingError(f"{run_path}: the run has no checkpoint yet")
    ckpt.restore(ckpt.load_checkpoint(path, cfg.model), model, loader)
    if hasattr(model, "set_probe"):
        model.set_probe(_held_out(cfg, model, loader))
    model.eval()
    return model, cfg, run
