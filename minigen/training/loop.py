"""The training loop every model shares.

    for step in 1..steps:
        images, labels = next batch            (the DataLoader's seeded order)
        losses = model.train_step(images, labels)
        log / sample / checkpoint on their schedules

Ctrl-C (SIGINT) and SIGTERM (``docker stop``, ``timeout``, cluster schedulers) do not
kill a step halfway: the first one sets a flag, the step in flight finishes, a checkpoint
is written and the run stops cleanly (a second signal stops at once). ``--resume``
restores networks, optimizers, the RNG and the position in the data, so on the CPU a
resumed run reproduces the losses of one that was never interrupted. On resume, --steps,
--epochs, --lr and the logging/checkpoint schedule may change (and are recorded in
config.json); a changed model, data, batch size, seed or --set is refused.
"""
import inspect
import json
import math
import os
import re
import signal
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np
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
    given: tuple = None          # names the user set explicitly (the CLI fills it); None: those
                                 # that differ from these defaults


class _Interrupt:
    """SIGINT or SIGTERM -> a flag the loop checks between steps; a second one raises at once."""

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))

    def __init__(self):
        self.requested = False
        self.signum = None

    def __enter__(self):
        self.previous = {}
        for signum in self.SIGNALS:
            try:
                self.previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                pass
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested, self.signum = True, signum

    def __exit__(self, *exc):
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)


def load_split(model, data, split):
    """Split ``split`` of ``data`` as model ``model`` reads it: through the model's own
    ``load_data`` where it has one (CycleGAN's two domains side by side), else ``load_dataset``."""
    return (getattr(get_model_class(model), "load_data", None) or load_dataset)(data, split)


def _check_positive(name, value, kind):
    if value is None:
        return None
    try:
        ok = (not isinstance(value, bool) and kind(value) == value and value > 0
              and math.isfinite(value))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        finite = "" if not isinstance(value, float) or math.isfinite(value) else "finite, "
        raise TrainingError(f"--{name.replace('_', '-')}={value!r}: expected a {finite}positive {kind.__name__}")
    return kind(value)


_FLAGS = ("lr", "batch_size", "steps")


def _flag(key):
    return f"--{key.replace('_', '-')}" if key in _FLAGS else f"--set {key}"


def known_settings(model_cls):
    """The settings ``--set`` accepts for ``model_cls``: its ``defaults``, any
    ``optional_settings`` it declares, and the keys that the methods it actually runs
    (inherited or its own, not overridden ones) read with ``config.get("KEY"``,
    ``config["KEY"]`` or ``check_positive(config, "KEY"``."""
    keys = set(_FLAGS) | set(model_cls.defaults) | set(getattr(model_cls, "optional_settings", ()) or ())
    patterns = (r"(?:config|cfg)\.get\(\s*[\"'](\w+)[\"']", r"(?:config|cfg)\[\s*[\"'](\w+)[\"']\s*\]",
                r"(?:check_positive|int_setting)\(\s*[\w.]+,\s*[\"'](\w+)[\"']")
    for name in dir(model_cls):
        method = inspect.getattr_static(model_cls, name, None)
        method = getattr(method, "__func__", method)
        if not inspect.isfunction(method):
            continue
        try:
            source = inspect.getsource(method)
        except (OSError, TypeError):
            continue
        for pattern in patterns:
            keys.update(re.findall(pattern, source))
    return keys


def _check_setting(key, value, default):
    """A --set value must be finite and of its default's kind (an int stays an int)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise TrainingError(f"{_flag(key)}={value!r}: expected a finite number")
    if default is None or isinstance(default, str):
        return value  # "auto" settings take a string or a number
    kind = "true or false" if isinstance(default, bool) else \
        "an integer" if isinstance(default, int) else "a number"
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(value, bool):
        ok = False
    elif isinstance(default, int):
        ok = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        value = int(value) if ok else value
    elif isinstance(default, float):
        ok = isinstance(value, (int, float))
    else:
        ok = True
    if not ok:
        raise TrainingError(f"{_flag(key)}={json.dumps(value)}: expected {kind} (the default is "
                            f"{json.dumps(default)})")
    return value


def _settings(cfg, model_cls):
    """The run's settings: the model's defaults, then the recipe's (``--set recipe=NAME``),
    then what the user gave."""
    known = known_settings(model_cls)
    unknown = sorted(k for k in cfg.options if k not in known)
    if unknown:
        raise TrainingError(f"--set {unknown[0]}: not a setting of the {model_cls.name!r} model; "
                            f"expected one of: {', '.join(sorted(known))}")
    try:
        s = model_cls.resolve_settings({k: v for k, v in cfg.options.items() if k == "recipe"})
    except ValueError as exc:
        raise TrainingError(str(exc)) from None
    for key, value in cfg.options.items():
        s[key] = _check_setting(key, value, s.get(key))
    for key in ("lr", "batch_size", "steps"):
        if getattr(cfg, key) is not None:
            s[key] = getattr(cfg, key)
    _check_positive("lr", s["lr"], float)
    _check_positive("batch_size", s["batch_size"], int)
    _check_positive("steps", s["steps"], int)
    _check_positive("epochs", cfg.epochs, int)
    for key in ("log_every", "sample_every", "checkpoint_every", "keep"):
        _check_positive(key, getattr(cfg, key), int)
    if not isinstance(cfg.seed, int) or isinstance(cfg.seed, bool) or not 0 <= cfg.seed < 2 ** 32:
        raise TrainingError(f"--seed {cfg.seed}: expected an integer in 0..{2 ** 32 - 1}")
    return s


# On --resume: what may change (honoured, and recorded in config.json) and what may not.
_HONOURED = ("steps", "epochs", "lr", "log_every", "sample_every", "checkpoint_every", "keep")
_FIXED = ("model", "data", "batch_size", "seed", "options", "out")


def _given(cfg):
    if cfg.resume is not None and cfg.overwrite:
        raise TrainingError(f"--resume {cfg.resume} and --overwrite exclude each other: --resume continues "
                            "the run, --overwrite replaces it")
    if cfg.given is not None:
        return set(cfg.given)
    default = TrainConfig()
    return {f.name for f in fields(TrainConfig)
            if f.name in _HONOURED + _FIXED and getattr(cfg, f.name) != getattr(default, f.name)}


def _option_text(key, value):
    if key == "options":
        return " ".join(f"--set {k}={json.dumps(v)}" for k, v in (value or {}).items()) or "no --set"
    if key == "overwrite":
        return "--overwrite"
    if key == "model":
        return f"MODEL {value}"
    return f"--{key.replace('_', '-')} {value}"


def _resolve(cfg):
    """For --resume: the saved config, with the changes the user may make (returned as
    {name: (old, new)}); a change that would make a different run is refused."""
    if cfg.resume is None:
        return cfg, RunDir(cfg.out or f"runs/{cfg.model}"), {}
    run = RunDir(cfg.resume)
    if not run.holds_run():
        raise TrainingError(f"--resume {cfg.resume}: no run there (no config.json)")
    saved = run.read_config()
    names = {f.name for f in fields(TrainConfig)}
    resumed = TrainConfig(**{**asdict(TrainConfig()), **{k: v for k, v in saved["train"].items() if k in names}})
    resumed.resume, resumed.progress, resumed.stop_after = cfg.resume, cfg.progress, cfg.stop_after
    resumed.device, resumed.given = cfg.device, None
    resumed.options = saved["train"].get("options", {})
    effective = {**saved["train"], **{k: saved["settings"].get(k) for k in ("lr", "batch_size", "steps")},
                 "model": saved["model"], "out": str(run.path), "overwrite": False}
    given = _given(cfg)
    for key in _FIXED:
        if key not in given:
            continue
        new, old = getattr(cfg, key), effective.get(key)
        same = (RunDir(new).path.resolve() == run.path.resolve()) if key == "out" else new == old
        if not same and key == "out":
            raise TrainingError(f"--resume {cfg.resume}: --out {new} is another folder; a resumed run "
                                f"continues in its own ({run.path}): drop --out")
        if not same:
            raise TrainingError(
                f"--resume {cfg.resume}: {_option_text(key, new)} differs from the run's "
                f"({_option_text(key, old)}); a resumed run keeps its "
                "model, data, batch size, seed and --set settings (start a new run with another --out "
                "to change them)")
    changes = {}
    for key in _HONOURED:
        if key in given and getattr(cfg, key) is not None and getattr(cfg, key) != effective.get(key):
            changes[key] = (effective.get(key), getattr(cfg, key))
            setattr(resumed, key, getattr(cfg, key))
    if "steps" in changes:
        resumed.epochs = None
    if "epochs" in changes:
        resumed.steps = None
    return resumed, run, changes


def _record_changes(run, changes, step, settings):
    """Write what a resume changed into config.json: the new values, and a history entry."""
    if not changes:
        return
    config = run.read_config()
    for key, (old, new) in changes.items():
        config["train"][key] = new
        if key in config["settings"]:
            config["settings"][key] = settings[key]
    if "steps" in changes:
        config["train"]["epochs"] = None
    if "epochs" in changes:
        config["train"]["steps"] = None
    config.setdefault("resumes", []).append(
        {"at_step": step, "changed": {k: {"from": old, "to": new} for k, (old, new) in changes.items()}})
    from .rundir import write_text_atomic
    write_text_atomic(run.config_path, json.dumps(config, indent=2, sort_keys=True) + "\n")
    print(f"resuming at step {step} with " + ", ".join(f"{_option_text(k, new)} (was {old})"
                                                      for k, (old, new) in changes.items()))


def _set_lr(model, old, new):
    """After a restore (which brings back the saved learning rates), scale every
    optimizer's rates by new/old: a model whose optimizers use multiples of --lr keeps them."""
    factor = float(new) / float(old)
    for opt in model.optimizers.values():
        for group in opt.param_groups:
            group["lr"] = group["lr"] * factor


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
    cfg, run, changes = _resolve(cfg)
    try:
        backend.check_device(cfg.device)
        model_cls = get_model_class(cfg.model)
        settings = _settings(cfg, model_cls)
        if cfg.resume is not None:
            # the run's own settings: a default changed since (a new recipe) must not change a
            # run half-way; only the honoured changes (--lr, --steps) apply
            settings = {**run.read_config()["settings"],
                        **{k: settings[k] for k in ("lr", "steps") if k in changes}}
        dataset = load_split(cfg.model, cfg.data, "train")
    except (RuntimeError, ValueError, OSError) as exc:
        raise TrainingError(str(exc)) from None
    check_dataset(dataset, model_cls, settings, cfg.data)
    model, loader = _build_or_explain(cfg, settings, dataset)
    total = settings["steps"] if cfg.epochs is None else cfg.epochs * len(loader)
    saved = {**asdict(cfg), "resume": None, "stop_after": None, "progress": True, "overwrite": False,
             "given": None}
    saved.pop("given")
    try:
        run.prepare({"model": cfg.model, "train": saved, "settings": settings,
                     "minigen_version": mg.__version__},
                    resume=cfg.resume is not None, overwrite=cfg.overwrite)
        return _train_locked(cfg, run, model, loader, settings, total, changes)
    finally:
        run.unlock()


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _build_or_explain(cfg, settings, dataset):
    """Build the model; one that cannot fit in memory is refused with one line naming the
    settings: NumPy's own refusal of an impossible array (``--set width=100000`` asks for
    1.16 TiB), or, on the CPU, weights whose training state (weights, gradients and two
    optimizer moments: 4x) would take more than 80% of this machine's memory."""
    shown = ", ".join(f"{_flag(k)}={json.dumps(v)}" for k, v in cfg.options.items()) or \
        f"--batch-size={settings['batch_size']}"
    try:
        model, loader = build(cfg, settings, dataset)
    except ValueError as exc:
        raise TrainingError(str(exc)) from None
    except MemoryError as exc:
        raise TrainingError(f"{shown}: the {cfg.model!r} model does not fit in memory with these "
                            f"settings ({str(exc).strip() or 'out of memory'}); use smaller values") from None
    memory = _physical_memory()
    if cfg.device == "cpu" and memory:
        weights = sum(p.data.nbytes for net in model.networks.values() for p in net.parameters())
        if 4 * weights > 0.8 * memory:
            raise TrainingError(f"{shown}: the {cfg.model!r} model has {weights / 2 ** 30:.1f} GiB of weights; "
                                f"training needs about {4 * weights / 2 ** 30:.1f} GiB (weights, gradients, "
                                f"optimizer state), more than this machine's {memory / 2 ** 30:.1f} GiB; "
                                "use smaller values")
    return model, loader


def _train_locked(cfg, run, model, loader, settings, total, changes):
    test_images = _held_out(cfg, model, loader)
    if hasattr(model, "set_probe"):
        model.set_probe(test_images)
    if cfg.resume is None and hasattr(model, "prepare"):  # a resumed run's checkpoint holds it
        model.prepare(loader.transform(loader.images) if loader.transform else loader.images)

    start = 0
    if cfg.resume is not None:
        path, state = ckpt.load_latest(run, cfg.model)
        start = ckpt.restore(state, model, loader)
        if "lr" in changes:
            _set_lr(model, *changes["lr"])
        _record_changes(run, changes, start, settings)
        run.truncate_metrics(start)
        run.last_good = path
    if start >= total:
        print(f"{run.path}: already trained for {start} steps (pass --steps N with N > {start} to go on)")
        run.interrupted = False
        return run

    run.interrupted = _loop(cfg, run, model, loader, start, total)
    return run


def check_dataset(dataset, model_cls, settings, data):
    """Refuse, before the first step, a data set the model cannot train on: images that
    are not (N, C, H, W) with C = 1 or 3 (a model with its own ``load_data`` checks its
    channels itself) and H, W >= 4, or labels outside the model's classes (``classes``)."""
    images = getattr(dataset, "images", None)
    if images is None:
        return
    shape = tuple(images.shape)
    if len(shape) != 4:
        raise TrainingError(f"--data {data}: images of shape {shape}; expected (N, C, H, W)")
    n, c, h, w = shape
    own_data = hasattr(model_cls, "load_data")  # e.g. CycleGAN's two domains side by side: it checks them
    if c not in (1, 3) and not own_data:
        raise TrainingError(f"--data {data}: images with {c} channels; expected 1 (grey) or 3 (RGB)")
    if min(h, w) < 4:
        raise TrainingError(f"--data {data}: images of {h}x{w} pixels; expected at least 4x4")
    labels = getattr(dataset, "labels", None)
    n_classes = settings.get("classes")
    if labels is not None and isinstance(n_classes, int) and len(labels):
        labels = np.asarray(labels)
        if labels.dtype.kind in "iu" and (labels.min() < 0 or labels.max() >= n_classes):
            bad = labels[(labels < 0) | (labels >= n_classes)][0]
            raise TrainingError(f"--data {data}: label {int(bad)} is outside the model's classes "
                                f"(--set classes={n_classes}: expected labels 0..{n_classes - 1})")


def _held_out(cfg, model, loader):
    """A fixed batch of test images (the probe for reconstructions), on the device."""
    test = load_split(cfg.model, cfg.data, "test") if cfg.data == "embedded" else loader.dataset
    transform = loader.transform
    return mg.tensor(transform(test.images[:32]), device=cfg.device)


def _loop(cfg, run, model, loader, start, total):
    """The steps; a file that cannot be written (a full disk, a read-only folder) stops the
    run with one line naming it and the last checkpoint (which pruning never removed)."""
    run.step = start
    try:
        # NumPy's overflow/invalid warnings would come before the one line that names the step
        # and the value (the loop checks losses and weights for NaN and infinity itself)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _steps(cfg, run, model, loader, start, total)
    except OSError as exc:
        last = getattr(run, "last_good", None)
        where = f"the last good checkpoint {last} is kept" if last else "no checkpoint was written"
        raise TrainingError(f"step {run.step}: cannot write {exc.filename or run.path} "
                            f"({exc.strerror or exc}); training stopped and {where}") from None


def _steps(cfg, run, model, loader, start, total):
    rows = run.read_metrics()
    batches = _forever(loader)
    t0, last_good = time.perf_counter(), getattr(run, "last_good", None)
    check_every_step = cfg.device == "cpu"  # reading a loss is free on the CPU, a sync on the GPU
    bar = tqdm(total=total, initial=start, unit="step", disable=not cfg.progress,
               desc=f"{cfg.model}", dynamic_ncols=True)
    model.train()
    with _Interrupt() as interrupt:
        for step in range(start + 1, total + 1):
            run.step = step
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
                try:
                    last_good = run.last_good = ckpt.save_checkpoint(run, step, model, loader, keep=cfg.keep)
                except ckpt.NonFiniteState as exc:
                    bar.close()
                    advice = (f"the last good checkpoint is {last_good} (resume with --resume {run.path} "
                              "--lr SMALLER)") if last_good else \
                        "no checkpoint was written (start again with a smaller --lr and --overwrite)"
                    raise TrainingError(f"{exc}; training stopped without saving it and {advice}") from None
                except OSError as exc:
                    bar.close()
                    where = f"the last good checkpoint {last_good} is kept" if last_good else "no checkpoint was written"
                    raise TrainingError(f"step {step}: cannot write a checkpoint in {run.checkpoints_dir} "
                                        f"({exc.strerror or exc}); {where}") from None
            bar.update(1)
            if interrupted:
                bar.close()
                name = signal.Signals(interrupt.signum).name if interrupt.signum else "a stop request"
                print(f"interrupted at step {step} by {name}; checkpoint saved to {last_good}; "
                      f"continue with: minigen train --resume {run.path}")
                run.signum = interrupt.signum or signal.SIGINT
                return True
    bar.close()
    return False


def _write_samples(run, model, step):
    n, nrow = getattr(model, "grid", (64, 8))  # (images, per row); cgan shows a row per digit
    with mg.no_grad():
        images = model.sample(n)
    save_image_grid(images, run.samples_dir / f"step_{step:06d}.png", nrow=nrow, value_range=model.value_range)


def load_run(run_path, device="cpu"):
    """Rebuild a run's model from its config and newest intact checkpoint (for sample / eval)."""
    run = RunDir(run_path)
    if not run.holds_run():
        raise TrainingError(f"{run_path}: not a run directory (no config.json)")
    saved = run.read_config()
    names = {f.name for f in fields(TrainConfig)}
    cfg = TrainConfig(**{**asdict(TrainConfig()), **{k: v for k, v in saved["train"].items() if k in names}})
    cfg.device = device
    try:
        backend.check_device(device)
        dataset = load_split(cfg.model, cfg.data, "train")
        model, loader = build(cfg, saved["settings"], dataset)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TrainingError(str(exc)) from None
    _, state = ckpt.load_latest(run, cfg.model)
    ckpt.restore(state, model, loader)
    if hasattr(model, "set_probe"):
        model.set_probe(_held_out(cfg, model, loader))
    model.eval()
    return model, cfg, run
