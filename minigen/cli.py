"""The ``minigen`` command line: ``minigen selfcheck``, ``minigen train``, ...

User mistakes (a bad argument, a missing GPU) print one line starting with
``minigen: error:`` and exit with status 2; ``--debug`` shows the traceback instead.
"""
import argparse
import sys

from . import __version__


class UserError(Exception):
    """A mistake in the input that the user can fix; printed without a traceback."""


def _cmd_selfcheck(args):
    from . import backend
    from .selfcheck import selfcheck
    try:
        backend.check_device(args.device)
    except (RuntimeError, ValueError) as exc:
        raise UserError(str(exc)) from None
    return 0 if selfcheck(args.device) else 1


def _parse_option(text):
    """--set key=value: a model-specific setting; the value is read as JSON when it can be."""
    import json
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected key=value")
    key, value = text.split("=", 1)
    try:
        return key.strip(), json.loads(value)
    except ValueError:
        return key.strip(), value


# train's options that the CLI passes on only when given (so --resume can tell a value
# the user typed from a default, and refuse or record it)
_TRAIN_OPTIONS = ("model", "data", "steps", "epochs", "batch_size", "lr", "seed", "out", "log_every",
                  "sample_every", "checkpoint_every", "keep")


def _apply_threads(args):
    """--threads N: limit NumPy's BLAS to N threads for this command (mg.set_num_threads)."""
    if getattr(args, "threads", None) is None:
        return
    if args.threads < 1:
        raise UserError(f"--threads {args.threads}: expected an integer >= 1 (BLAS threads)")
    from .threads import set_num_threads
    set_num_threads(args.threads)


def _cmd_train(args):
    from .training import TrainConfig, TrainingError, train
    _apply_threads(args)
    given = {k: getattr(args, k) for k in _TRAIN_OPTIONS if getattr(args, k) is not None}
    if args.set:
        given["options"] = dict(args.set)
    if args.overwrite:
        given["overwrite"] = True
    if "out" in given:
        _check_path_argument("--out", given["out"])
    cfg = TrainConfig(**given, device=args.device, resume=args.resume,
                      progress=not args.no_progress, given=tuple(given))
    if args.model is None and args.resume is None:
        raise UserError("train: name a MODEL (e.g. `minigen train autoencoder`) or pass --resume RUN")
    if args.resume is None and args.out is None:
        cfg.out = f"runs/{args.model}"
    from .allocator import keep_freed_memory
    keep_freed_memory()  # large arrays reuse warm pages (DCGAN step at batch 512: ~20%; see allocator.py)
    try:
        run = train(cfg)
    except TrainingError as exc:
        raise UserError(str(exc)) from None
    print(f"run directory: {run.path} (samples/, losses.png, metrics.jsonl, checkpoints/)")
    return 128 + int(getattr(run, "signum", 2)) if run.interrupted else 0


def _check_path_argument(flag, value):
    """An empty path, or a name longer than the file system allows, is a mistake to name."""
    import os
    if not value or not value.strip():
        raise UserError(f"{flag} {value!r}: expected a path (got an empty string)")
    too_long = [part for part in value.split(os.sep) if len(part.encode()) > 255]
    if too_long or len(value.encode()) > 4000:
        raise UserError(f"{flag} {value[:40]}... ({len(value)} characters): a file or folder name may have "
                        "at most 255 bytes")


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _check_image_out(out):
    """sample --out must be an image file name that is none of a run's own files."""
    from pathlib import Path
    from .training.rundir import MARKER
    _check_path_argument("--out", out)
    path = Path(out)
    if path.suffix.lower() not in _IMAGE_SUFFIXES:
        raise UserError(f"--out {out}: expected an image file name ending in "
                        f"{', '.join(_IMAGE_SUFFIXES)}")
    if path.is_dir():
        raise UserError(f"--out {out}: is a folder; expected an image file name")
    resolved = path.resolve()
    for folder in resolved.parents:
        if (folder / "config.json").is_file() or (folder / MARKER).is_file():
            inside = resolved.relative_to(folder).parts
            if inside[0] in ("checkpoints", "samples") or inside == ("losses.png",):
                raise UserError(f"--out {out}: that is one of the run's own files in {folder}; "
                                "choose another name (e.g. RUN/sample.png)")
            break


def _write_grid(images, out, nrow, value_range):
    from .data import save_image_grid
    try:
        save_image_grid(images, out, nrow=nrow, value_range=value_range)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write the image ({exc.strerror or exc})") from None


def _is_export(out):
    """--out DIR/ (one PNG per image) or --out FILE.npz: samples for other tools, not a grid."""
    from pathlib import Path
    return out is not None and (out.endswith(("/", "\\")) or Path(out).is_dir() or out.lower().endswith(".npz"))


def _export_samples(model, n, out):
    """Write n samples as uint8 images: DIR/000000.png, ... (the layout FID tools such as
    pytorch-fid and clean-fid read) or FILE.npz holding ``arr_0`` (N, H, W, C) uint8 (the
    layout of OpenAI's evaluation suite). Drawn in chunks of 250 to bound memory."""
    from pathlib import Path
    import numpy as np
    import minigen as mg
    from .data.transforms import to_uint8
    from .training.export import save_images_as_pngs
    low, high = model.value_range
    chunks = []
    with mg.no_grad():
        for start in range(0, n, 250):
            count = min(250, n - start)
            images = model.sample(count)
            images = images.numpy() if hasattr(images, "numpy") else np.asarray(images)
            if len(images) != count:  # the autoencoder's "sample" is inputs beside reconstructions
                raise UserError(f"--out {out}: the {model.name!r} model does not draw new samples "
                                "(its sample grid pairs inputs with reconstructions); export a "
                                "generative model's run")
            chunks.append(to_uint8((images - low) / (high - low)))
    images = np.concatenate(chunks).transpose(0, 2, 3, 1)          # (N, H, W, C)
    try:
        if out.lower().endswith(".npz"):
            np.savez(out, arr_0=images)
        else:
            save_images_as_pngs(images, Path(out))
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write the samples ({exc.strerror or exc})") from None
    print(f"wrote {n} samples to {out}")
    return 0


def _cmd_sample(args):
    from .training import TrainingError
    from .training.loop import load_run
    import minigen as mg
    if args.n < 1:
        raise UserError(f"--n {args.n}: expected a positive number of images")
    if args.nrow < 1:
        raise UserError(f"--nrow {args.nrow}: expected a positive number of images per row")
    export = _is_export(args.out)
    if export:
        _check_path_argument("--out", args.out)
    elif args.out is not None:
        _check_image_out(args.out)
    try:
        model, _, run = load_run(args.run, args.device)
    except TrainingError as exc:
        raise UserError(str(exc)) from None
    view = next((v for v in _SAMPLE_VIEWS if getattr(args, v)), None)
    if args.labels is not None and view is not None:
        raise UserError(f"--labels and --{view} are different views; pass one of them")
    if args.labels is not None:
        if not hasattr(model, "sample_labels"):
            raise UserError(f"--labels {args.labels}: the {model.name!r} model is not class-conditional "
                            "(train a cgan run for per-label samples)")
        view = "labels"
    if export:
        if view is not None:
            raise UserError(f"--out {args.out}: exporting writes plain samples; --{view} makes a grid")
        return _export_samples(model, args.n, args.out)
    out = args.out or str(run.path / f"{view or 'sample'}.png")
    with mg.no_grad():
        if view == "labels":
            images = model.sample_labels(_parse_labels(args.labels, model.n_classes), args.nrow)
        else:
            images = model.sample(args.n) if view is None else _sample_view(model, view, args, run)
    _write_grid(images, out, args.nrow, model.value_range)
    print(f"wrote {out}")
    return 0


_SAMPLE_VIEWS = ("reconstruct", "interpolate", "manifold")


def _held_out_split(data, model=None):
    """The split that metrics and views use: the test split where the data set has one
    (a model with its own ``load_data``, CycleGAN, always has testA/testB)."""
    if data in ("embedded", "mnist", "fashion-mnist") or hasattr(model, "load_data"):
        return "test"
    return "train"


def _parse_labels(text, n_classes):
    """--labels: "0..9" (a range, both ends included), "3" or "1,3,7" -> a list of ints."""
    try:
        if ".." in text:
            lo, hi = (int(v) for v in text.split(".."))
            labels = list(range(lo, hi + 1))
        else:
            labels = [int(v) for v in text.split(",")]
    except ValueError:
        labels = None
    if not labels or not all(0 <= v < n_classes for v in labels):
        raise UserError(f"--labels {text}: expected labels in 0..{n_classes - 1} written as 0..9, 3 or 1,3,7")
    return labels


def _sample_view(model, view, args, run):
    """--reconstruct / --interpolate / --manifold: views of a model with a latent space."""
    import numpy as np
    import minigen as mg
    from .data import load_dataset, to_symmetric, to_unit
    if not hasattr(model, view):
        raise UserError(f"--{view}: the {model.name!r} model does not support this view "
                        "(it has no encoder/latent space; try a vae run)")
    cfg = run.read_config()["train"]
    test = load_dataset(cfg["data"], _held_out_split(cfg["data"]))
    transform = to_symmetric if model.data_range == "symmetric" else to_unit
    try:
        if view == "reconstruct":
            # rows alternate: nrow test digits, then their reconstructions beneath them
            x = transform(test.images[:args.n])
            recon = model.reconstruct(x).numpy()
            blank = np.full((args.nrow,) + x.shape[1:], x.min(), dtype=np.float32)
            rows = []
            for i in range(0, len(x), args.nrow):
                for part in (x[i:i + args.nrow], recon[i:i + args.nrow]):
                    rows += [part, blank[len(part):]]  # a short last row is filled out with blanks
            return np.concatenate(rows)
        if view == "interpolate":
            # one row per pair of test digits (0 to 1, 2 to 3, ...), nrow steps each
            lines = [model.interpolate(transform(test.images[2 * r]), transform(test.images[2 * r + 1]),
                                       args.nrow)
                     for r in range(max(1, min(args.n // args.nrow, len(test.images) // 2)))]
            return mg.cat(lines, axis=0)
        return model.manifold(args.nrow)
    except ValueError as exc:
        raise UserError(f"--{view}: {exc}") from None


def _cmd_eval(args):
    import json
    from .training import TrainingError
    _apply_threads(args)
    from .training.loop import load_run
    import minigen as mg
    try:
        model, cfg, run = load_run(args.run, args.device)
    except TrainingError as exc:
        raise UserError(str(exc)) from None
    from .training.loop import load_split
    try:
        test = load_split(cfg.model, cfg.data, _held_out_split(cfg.data, model))
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    from .data import to_symmetric, to_unit
    transform = to_symmetric if model.data_range == "symmetric" else to_unit
    options = {}
    if args.iwae_k is not None:
        if not hasattr(model, "iwae_k"):
            raise UserError(f"--iwae-k: the {model.name!r} model has no importance-weighted bound")
        if args.iwae_k < 1:
            raise UserError(f"--iwae-k {args.iwae_k}: expected a positive number of samples")
        options["k"] = args.iwae_k
    from .models.gan import GANModel
    if isinstance(model, GANModel):
        options.update(_gan_eval_options(cfg, transform))
    if hasattr(test, "paired"):  # CycleGAN's domains: is test B the known translation of test A?
        options.update(labels=test.labels, paired=test.paired)
    metrics = model.evaluate(mg.tensor(transform(test.images), device=args.device), **options)
    if isinstance(model, GANModel):
        from .metrics import format_report
        print(format_report(metrics))
    else:
        for k, v in metrics.items():
            print(f"{k}: {v:.6g}")
    try:
        (run.path / "eval.json").write_text(json.dumps(metrics, indent=2) + "\n")
    except OSError as exc:
        print(f"minigen: note: the metrics were not saved to {run.path / 'eval.json'} "
              f"({exc.strerror or exc})", file=sys.stderr)
    return 0


def _gan_eval_options(cfg, transform):
    """The classifier that scores a GAN's samples, and the training images for the FLD floor."""
    from pathlib import Path
    from .data import load_dataset
    from .metrics import classifier_path
    name = {"embedded": "mnist", "mnist": "mnist", "fashion-mnist": "fashion-mnist"}.get(cfg.data)
    if name is None:
        raise UserError(f"eval: the sample-quality metrics use a digit (or Fashion-MNIST) classifier; "
                        f"there is none for --data {cfg.data}")
    if not Path(classifier_path(name)).exists():
        raise UserError(f"eval: no {name} classifier at {classifier_path(name)}; train it with "
                        f"python -m minigen.metrics.train_classifier --data {cfg.data}")
    return {"train_images": transform(load_dataset(cfg.data, "train").images), "classifier": name}


def _cmd_datasets(args):
    from .data import available_datasets
    rows = available_datasets()
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        state = "present" if r["present"] else "missing"
        print(f"{r['name']:<{width}}  {state:<7}  {r['description']}")
        print(f"{'':<{width}}           {r['path'] if r['present'] else 'get it: ' + r['command']}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="minigen",
        description="Generative image models from scratch on NumPy and CuPy.",
        epilog="Examples:\n  minigen train autoencoder\n  minigen selfcheck --device cpu",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"minigen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "selfcheck", help="gradcheck and gradgradcheck every op against finite differences",
        description="Check the first and second derivatives of every op against central "
                    "finite differences in float64 and print a table; exit status 1 on any failure.",
        epilog="Example: minigen selfcheck --device cuda")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.set_defaults(func=_cmd_selfcheck)

    from .models import MODELS
    p = sub.add_parser(
        "train", help="train a model (progress bar, samples, loss plot, checkpoints)",
        description="Train a registered model. Writes runs/NAME/: config.json, metrics.jsonl, "
                    "samples/step_XXXXXX.png, losses.png and checkpoints/. Ctrl-C or SIGTERM saves a "
                    "checkpoint; --resume continues from it.",
        epilog="Examples:\n  minigen train autoencoder --steps 300\n"
               "  minigen train --resume runs/autoencoder --steps 600",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", metavar="MODEL",
                   help="one of: " + ", ".join(sorted(MODELS)))
    p.add_argument("--data",
                   help="embedded (default, ships with minigen), mnist, fashion-mnist, celeba or a PATH")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="training steps (default: the model's)")
    length.add_argument("--epochs", type=int, help="train for N passes over the data instead of --steps")
    p.add_argument("--batch-size", type=int, help="images per step (default: the model's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the model's)")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--out", help="run directory (default runs/MODEL)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in this directory")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing run in --out (deletes only the files minigen wrote there)")
    p.add_argument("--log-every", type=int, help="steps between metric lines (10)")
    p.add_argument("--sample-every", type=int, help="steps between sample grids (100)")
    p.add_argument("--checkpoint-every", type=int, help="steps between checkpoints (100)")
    p.add_argument("--keep", type=int, help="checkpoints to keep (3)")
    p.add_argument("--set", action="append", type=_parse_option, metavar="KEY=VALUE",
                   help="a model-specific setting, e.g. --set width=32; vae: latent=2, beta=4, "
                        "binarize=false (grey-level targets instead of Bernoulli draws); GANs: nz, "
                        "g_width, d_width, eval_samples, spectral_norm=true, augment=translation, "
                        "ema=0.999, clusters=K (condition G and D on K k-means groups of the "
                        "training images, no labels; 0 = unconditional), recipe=NAME "
                        "(dcgan/cgan: radford = Radford et al.'s "
                        "hyperparameters; wgan: arjovsky = the reference schedule; wgan-gp: "
                        "gulrajani; the default recipe, minigen, is the one measured best in 10 "
                        "CPU minutes: Adam/RMSprop steps for the budget and clusters=50, and for wgan ema=0.99); dcgan/cgan: loss=bce|hinge, g_loss=saturating, beta1; wgan: "
                        "clip, n_critic, warm_start; wgan-gp: gp_lambda, n_critic, critic_norm=none|layer")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--threads", type=int, metavar="N",
                   help="BLAS threads (default: all cores; 1 when another job shares the CPU)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("sample", help="draw samples from a trained run into a PNG grid",
                       description="Load a run's latest checkpoint and write a grid of samples.",
                       epilog="Examples:\n  minigen sample runs/autoencoder --n 64 --out grid.png\n"
                              "  minigen sample runs/vae --reconstruct\n"
                              "  minigen sample runs/vae-2d --manifold --nrow 20\n"
                              "  minigen sample runs/cgan --labels 0..9 --nrow 10\n"
                              "  minigen sample runs/dcgan --n 1000 --out fid_samples/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="a run directory")
    p.add_argument("--n", type=int, default=64, help="number of images (64)")
    p.add_argument("--nrow", type=int, default=8, help="images per row (8)")
    p.add_argument("--out", help="output PNG grid (default RUN/sample.png, RUN/reconstruct.png, ...); "
                                 "a folder DIR/ writes one PNG per image, FILE.npz one uint8 array "
                                 "(arr_0, N x H x W x C), for FID tools")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    views = p.add_mutually_exclusive_group()
    views.add_argument("--reconstruct", action="store_true",
                       help="VAE: N test digits, each row of inputs followed by their reconstructions")
    views.add_argument("--interpolate", action="store_true",
                       help="VAE: decode the latent line between two test digits, NROW steps per row")
    views.add_argument("--manifold", action="store_true",
                       help="VAE with --set latent=2: an NROW x NROW grid decoded over the latent plane")
    p.add_argument("--labels", metavar="LABELS",
                   help="cgan: one row of NROW samples per label, e.g. 0..9, 3 or 1,3,7")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("eval", help="compute a trained run's metrics on held-out data",
                       description="Load a run's latest checkpoint, print its metrics on the "
                                   "held-out split and write them to RUN/eval.json.",
                       epilog="Examples:\n  minigen eval runs/autoencoder\n"
                              "  minigen eval runs/vae --iwae-k 100   # a quicker, looser bound",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="a run directory")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--iwae-k", type=int, metavar="K",
                   help="VAE: importance samples per image for the IWAE bound (default: the run's "
                        "iwae_k, 1000; a few minutes on a 2-core CPU)")
    p.add_argument("--threads", type=int, metavar="N", help="BLAS threads (default: all cores)")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("datasets", help="list datasets available here and how to get the rest",
                       description="List the datasets minigen knows, whether each is present "
                                   "locally, and the command that fetches it.",
                       epilog="Example: minigen datasets")
    p.set_defaults(func=_cmd_datasets)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except UserError as exc:
        if args.debug:
            raise
        print(f"minigen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("minigen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
