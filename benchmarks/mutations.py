"""Mutation testing: plant realistic bugs in the math one at a time and see which the tests catch.

A mutation is a few (before -> after) text edits in one source file: a sign flipped, a
term dropped, targets swapped, an off-by-one. For each one the script writes the edit into
the file, runs the test files that guard that code (``pytest -x -q``: the first failure is
enough), and restores the file, checking with ``git diff --quiet`` that it is back. A
mutation is *killed* when a test fails and *survives* when they all pass: a survivor is
a wrong result the suite would let through.

    python benchmarks/mutations.py              # all of them, then the table
    python benchmarks/mutations.py --only wgan-gp-penalty-sign vae-ignores-beta
    python benchmarks/mutations.py --list       # the mutations and their test files
    python benchmarks/mutations.py --check      # every "before" text still occurs once

Run on demand, not in CI (about 5 minutes on two cores while every mutation is killed; a
survivor runs its whole test list). It runs at the lowest CPU
priority and, while the file /tmp/minigen_quiet exists, waits before the next mutation.
Start it from a clean work tree: it refuses to touch a file with uncommitted changes.
``tests/test_mutations.py`` checks that the list does not rot (every "before" text is
found exactly once in its file) without running any mutation.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUIET = Path("/tmp/minigen_quiet")

# the test files that guard each area, the quickest killers first (-x stops at the first failure)
OPS = ["tests/test_forward_oracles.py", "tests/test_op_gradients.py", "tests/test_autograd.py",
       "tests/test_tensor.py", "tests/test_nn_functional.py"]
NN = ["tests/test_forward_oracles.py", "tests/test_nn_functional.py", "tests/test_op_gradients.py",
      "tests/test_nn_modules.py", "tests/test_gradcheck.py"]
GAN = ["tests/test_losses_closed_form.py", "tests/test_gan.py"]
CYCLE = ["tests/test_losses_closed_form.py", "tests/test_cyclegan.py"]
VAE = ["tests/test_losses_closed_form.py", "tests/test_vae.py"]
OPTIM = ["tests/test_optim.py"]
DATA = ["tests/test_data_loader.py", "tests/test_data_transforms.py", "tests/test_training.py"]
TRAIN = ["tests/test_resume_metrics.py", "tests/test_training.py"]
GRADCHECK = ["tests/test_gradcheck.py", "tests/test_autograd.py", "tests/test_op_gradients.py"]


@dataclass
class Mutation:
    name: str
    path: str
    edits: list        # [(before, after)], each "before" found exactly once in the file
    tests: list
    why: str = ""      # what the bug would do


def m(name, path, edits, tests, why=""):
    return Mutation(name, path, edits if isinstance(edits, list) else [edits], tests, why)


E, A, R, S = ("minigen/ops/elementwise.py", "minigen/ops/arithmetic.py", "minigen/ops/reduction.py",
              "minigen/ops/shape.py")
CONV, NORM, LOSS = ("minigen/nn/functional/conv.py", "minigen/nn/functional/norm.py",
                    "minigen/nn/functional/loss.py")

MUTATIONS = [
    # --- ops -------------------------------------------------------------------------------
    m("leaky-relu-slope-on-positive-side", E, [
        ("return xp.maximum(x, x * x.dtype.type(negative_slope))",
         "return xp.minimum(x, x * x.dtype.type(negative_slope))"),
        ("return xp.where(x > 0, x, x * x.dtype.type(negative_slope))",
         "return xp.where(x > 0, x * x.dtype.type(negative_slope), x)"),
        ("slope = (x > 0).astype(gy.dtype)", "slope = (x <= 0).astype(gy.dtype)")], OPS,
      "forward and backward alike, so finite differences agree with it"),
    m("tanh-backward-1-minus-y", E, ("return gy * (1 - y * y)", "return gy * (1 - y)"), OPS),
    m("sigmoid-negative-branch", E, ("xp.where(x >= 0, 1 / (1 + e), e / (1 + e))",
                                     "xp.where(x >= 0, 1 / (1 + e), 1 / (1 + e))"), OPS),
    m("softplus-drops-max-term", E, ("return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))",
                                     "return xp.log1p(xp.exp(-xp.abs(x)))"), OPS),
    m("sqrt-backward-missing-half", E, ("return gy / (2 * self.output)", "return gy / self.output"), OPS),
    m("exp-backward-uses-input", E, ("        return gy * self.output\n", "        return gy * self.inputs[0]\n"), OPS),
    m("clamp-backward-ignores-upper-bound", E, ("mask &= x <= self.hi", "mask |= x <= self.hi"), OPS),
    m("maximum-gradient-to-the-smaller", E, ("wa = (a.data > b.data) + 0.5", "wa = (a.data < b.data) + 0.5"), OPS),
    m("div-backward-sign", A, ("gb = unbroadcast(-gy * a / (b * b), b)", "gb = unbroadcast(gy * a / (b * b), b)"), OPS),
    m("sub-backward-not-negated", A, ("gb = unbroadcast(-gy, b)", "gb = unbroadcast(gy, b)"), OPS),
    m("pow-backward-exponent", A, ("gy * b * a ** (b - 1)", "gy * b * a ** b"), OPS),
    m("getitem-backward-assigns-repeats", S, ("            np.add.at(gx, self.index, gy)",
                                              "            gx[self.index] = gy"), OPS,
      "an index used twice gets one gradient instead of two"),
    m("reflect-pad-repeats-the-edge", S, ("out[sl(0, lo)] = out[sl(2 * lo, lo, -1)]",
                                          "out[sl(0, lo)] = out[sl(2 * lo - 1, lo - 1, -1)]"), OPS),
    m("var-ignores-ddof", R, ("keepdims) / (n - ddof)", "keepdims) / n"), OPS),
    m("mean-divides-by-n-minus-1", R, ("    return sum(x, axes, keepdims) / n\n",
                                       "    return sum(x, axes, keepdims) / max(n - 1, 1)\n"), OPS),
    m("max-backward-to-every-element-below", R, ("mask = (x.data == y).astype(gy.dtype)",
                                                 "mask = (x.data <= y).astype(gy.dtype)"), OPS),
    m("log-softmax-backward-drops-the-sum", R, ("return gy - exp(self.output) * sum(gy, self.axis, keepdims=True)",
                                                "return gy - exp(self.output) * gy"), OPS),
    m("softmax-normalises-over-everything", R, ("return e / e.sum(axis=self.axis, keepdims=True)",
                                                "return e / e.sum()"), OPS),
    # --- functional: convolution, normalisation, activations, losses ----------------------
    m("conv-transpose-output-padding-below-stride", CONV, (
        "if not 0 <= output_padding[axis] < max(stride[axis], dilation[axis]):",
        "if not 0 <= output_padding[axis] < stride[axis]:"), NN,
      "stride 1, dilation 2, output_padding 1 (legal in PyTorch) then raises"),
    m("im2col-ignores-dilation", CONV, ("    start = i * dilation\n", "    start = i\n"), NN),
    m("conv-output-size-off-by-one", CONV, ("return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1",
                                            "return (size + 2 * padding - dilation * (kernel - 1)) // stride + 1"), NN),
    m("flip-path-kernel-not-flipped", CONV, ("return xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))",
                                             "return xp.ascontiguousarray(w.transpose(1, 0, 2, 3))"), NN),
    m("output-side-weight-grad-not-flipped", CONV, ("return z[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()",
                                                    "return z.transpose(1, 0, 2, 3).copy()"), NN),
    m("batch-norm-backward-forgets-inv-std-squared", NORM, ("inv_std * inv_std * sum_gy_centered, m))",
                                                           "inv_std * sum_gy_centered, m))"), NN),
    m("instance-norm-drops-affine-bias", NORM, ("        y = y + as_tensor(bias).reshape(shape)\n",
                                                "        y = y\n"), NN,
      "finite differences see 0 = 0 for the ignored bias"),
    m("layer-norm-weight-and-bias-swapped", NORM, [
        ("        y = y * as_tensor(weight)\n", "        y = y * as_tensor(bias)\n"),
        ("        y = y + as_tensor(bias)\n", "        y = y + as_tensor(weight)\n")], NN),
    m("batch-norm-running-var-biased", NORM, ("add_(fn.batch_var * (m / (m - 1)), alpha=momentum)",
                                              "add_(fn.batch_var, alpha=momentum)"), NN),
    m("batch-norm-momentum-swapped", NORM, ("running_mean.mul_(1 - momentum).add_(fn.batch_mean, alpha=momentum)",
                                            "running_mean.mul_(momentum).add_(fn.batch_mean, alpha=1 - momentum)"), NN),
    m("batch-norm-eval-drops-eps", NORM, ("scale = weight * _inv_std_tensor(running_var, eps)",
                                          "scale = weight * _inv_std_tensor(running_var, 0.0)"), NN),
    m("batch-norm-normalises-with-unbiased-var", NORM, (
        "var = _channel_sum_of_products(centered, centered) / x.dtype.type(m)",
        "var = _channel_sum_of_products(centered, centered) / x.dtype.type(m - 1)"), NN),
    m("batch-norm-backward-sign-of-mean-term", NORM, ("    gx += _plane(sum_gy / m, gy)",
                                                      "    gx -= _plane(sum_gy / m, gy)"), NN),
    m("dropout-scales-by-one-over-p", "minigen/nn/functional/activation.py", (
        "x.dtype.type(1 / (1 - p))", "x.dtype.type(1 / p)"), NN),
    m("bce-with-logits-sign", LOSS, ("elementwise.softplus(x) - t * x", "elementwise.softplus(x) + t * x"), NN + VAE),
    m("bce-log-p-for-both-terms", LOSS, ("elementwise.log(1 - p), min=-100)", "elementwise.log(p), min=-100)"), NN),
    m("kl-normal-uses-sigma-not-variance", LOSS, ("mu * mu + elementwise.exp(logvar) - 1 - logvar",
                                                  "mu * mu + elementwise.exp(0.5 * logvar) - 1 - logvar"), NN + VAE),
    m("cross-entropy-softmax-over-the-batch", LOSS, ("log_p = log_softmax(x, axis=1)",
                                                     "log_p = log_softmax(x, axis=0)"), NN),
    m("l1-loss-without-abs", LOSS, ('_reduce(elementwise.abs(x - t), reduction, "l1_loss")',
                                    '_reduce(x - t, reduction, "l1_loss")'), NN + CYCLE),
    # --- the models' losses -------------------------------------------------------------------
    m("wgan-gp-penalty-sign", "minigen/models/wgan.py", ("return self.gp_lambda * gp, {",
                                                         "return -self.gp_lambda * gp, {"),
      GAN, "the critic is rewarded for gradient norms far from 1"),
    m("gradient-penalty-without-minus-one", "minigen/models/wgan.py", (
        "return ((norms - 1) ** 2).mean(), norms", "return (norms ** 2).mean(), norms"), GAN),
    m("interpolates-weight-fake-by-eps", "minigen/models/wgan.py", (
        "x_hat = eps * real.detach() + (1 - eps) * fake.detach()",
        "x_hat = eps * real.detach() + eps * fake.detach()"), GAN),
    m("wasserstein-critic-loss-reversed", "minigen/models/wgan.py", (
        "return fake_scores.mean() - real_scores.mean(), -fake_scores.mean()",
        "return real_scores.mean() - fake_scores.mean(), -fake_scores.mean()"), GAN),
    m("wgan-skips-clipping", "minigen/models/wgan.py", ("        clip_weights_(self.D.parameters(), self.clip)",
                                                         "        pass"), GAN),
    m("dcgan-critic-targets-swapped", "minigen/models/dcgan.py", [
        ("binary_cross_entropy_with_logits(real_logits, mg.ones_like(real_logits))",
         "binary_cross_entropy_with_logits(real_logits, mg.zeros_like(real_logits))"),
        ("binary_cross_entropy_with_logits(fake_logits, mg.zeros_like(fake_logits)))",
         "binary_cross_entropy_with_logits(fake_logits, mg.ones_like(fake_logits)))")], GAN),
    m("dcgan-non-saturating-is-saturating", "minigen/models/dcgan.py", (
        "        return F.binary_cross_entropy_with_logits(fake_logits, mg.ones_like(fake_logits))",
        "        return -F.binary_cross_entropy_with_logits(fake_logits, mg.zeros_like(fake_logits))"), GAN),
    m("cgan-critic-gets-zero-planes", "minigen/models/cgan.py", (
        "y = y.reshape(n, self.n_classes, 1, 1) * mg.ones(n, self.n_classes, h, w, device=self.device)",
        "y = mg.zeros(n, self.n_classes, h, w, device=self.device)"), GAN,
      "D never sees the label: a conditional GAN in name only"),
    m("cgan-generator-ignores-labels", "minigen/models/gan.py", (
        "return G(mg.cat([z, y.reshape(y.shape[0], y.shape[1], 1, 1)], axis=1))",
        "return G(mg.cat([z, 0 * y.reshape(y.shape[0], y.shape[1], 1, 1)], axis=1))"), GAN),
    m("clusters-farthest-centroid", "minigen/data/clusters.py", (
        "    return squared_distances(x, centroids).argmin(1)",
        "    return squared_distances(x, centroids).argmax(1)"), GAN + ["tests/test_clusters.py"],
      "every image is put in the group it is least like"),
    m("clusters-centroid-not-the-mean", "minigen/data/clusters.py", (
        "                centroids[j] = x[members].mean(0)",
        "                centroids[j] = x[members].mean(0) * 0.9"), ["tests/test_clusters.py"],
      "Lloyd's second step no longer minimises J"),
    m("clusters-fakes-drop-the-condition", "minigen/models/dcgan.py", (
        "        fake = self.generate(self.noise(images.shape[0]), y)",
        "        fake = self.generate(self.noise(images.shape[0]), None if y is None else y * 0)"), GAN,
      "G is told no group: the conditioned game in name only"),
    m("cyclegan-critic-targets-swapped", "minigen/models/cyclegan.py", (
        "0.5 * (lsgan_loss(critic(real), 1.0) + lsgan_loss(critic(fake), 0.0))",
        "0.5 * (lsgan_loss(critic(real), 0.0) + lsgan_loss(critic(fake), 1.0))"), CYCLE),
    m("cyclegan-cycle-against-the-other-domain", "minigen/models/cyclegan.py", (
        "cyc = F.l1_loss(self.F(fake_b), a) + F.l1_loss(self.G(fake_a), b)",
        "cyc = F.l1_loss(self.F(fake_b), b) + F.l1_loss(self.G(fake_a), a)"), CYCLE),
    m("cyclegan-identity-weight-ignored", "minigen/models/cyclegan.py", (
        "total = total + self.lambda_id * idt", "total = total + idt"), CYCLE),
    m("cyclegan-generator-target-zero", "minigen/models/cyclegan.py", (
        "lsgan_loss(self.D_A(fake_a), 1.0)", "lsgan_loss(self.D_A(fake_a), 0.0)"), CYCLE),
    m("vae-ignores-beta", "minigen/models/vae.py", ("loss = (recon + self.beta * kl).mean()",
                                                    "loss = (recon + kl).mean()"),
      VAE, "--set beta=4 would train a plain VAE"),
    m("vae-samples-with-exp-logvar", "minigen/models/vae.py", ("return mu + mg.exp(0.5 * logvar) * eps",
                                                               "return mu + mg.exp(logvar) * eps"), VAE),
    m("vae-recon-averaged-over-pixels", "minigen/models/vae.py", (
        "recon = recon.sum(axis=tuple(range(1, recon.ndim)))",
        "recon = recon.mean(axis=tuple(range(1, recon.ndim)))"), VAE),
    # --- optimizers ---------------------------------------------------------------------------
    m("adam-no-bias-correction-of-m", "minigen/optim/adam.py", ('step *= s(group["lr"] / (1 - b1 ** t))',
                                                                'step *= s(group["lr"])'), OPTIM),
    m("adam-v-correction-inverted", "minigen/optim/adam.py", ("denom /= s(math.sqrt(1 - b2 ** t))",
                                                              "denom *= s(math.sqrt(1 - b2 ** t))"), OPTIM),
    m("adam-weight-decay-sign", "minigen/optim/adam.py", ('grad = grad + s(group["weight_decay"]) * p',
                                                          'grad = grad - s(group["weight_decay"]) * p'), OPTIM),
    m("sgd-ignores-dampening", "minigen/optim/sgd.py", ('buf += s(1 - group["dampening"]) * grad',
                                                        "buf += grad"), OPTIM),
    m("sgd-nesterov-ignored", "minigen/optim/sgd.py", (
        'grad = grad + s(group["momentum"]) * buf if group["nesterov"] else buf', "grad = buf"), OPTIM),
    m("rmsprop-weight-decay-sign", "minigen/optim/rmsprop.py", ('grad = grad + s(group["weight_decay"]) * p',
                                                                'grad = grad - s(group["weight_decay"]) * p'), OPTIM),
    m("rmsprop-alpha-swapped", "minigen/optim/rmsprop.py", ('scratch *= s(1 - group["alpha"])',
                                                            'scratch *= s(group["alpha"])'), OPTIM),
    m("clip-weights-only-above", "minigen/optim/__init__.py", ("p.clamp_(-c, c)", "p.clamp_(None, c)"), OPTIM + GAN),
    m("lambda-lr-one-epoch-ahead", "minigen/optim/lr_scheduler.py", (
        'g["lr"] = base * f(self.last_epoch)', 'g["lr"] = base * f(self.last_epoch + 1)'), OPTIM + CYCLE),
    # --- data ---------------------------------------------------------------------------------
    m("loader-same-order-every-epoch", "minigen/data/loader.py", (
        "np.random.default_rng(self.seed + epoch).permutation(n)",
        "np.random.default_rng(self.seed).permutation(n)"), DATA),
    m("loader-len-ignores-drop-last", "minigen/data/loader.py", (
        "return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)",
        "return math.ceil(n / self.batch_size)"), DATA),
    m("loader-labels-not-shuffled-with-images", "minigen/data/loader.py", (
        "labels = None if self.labels is None else self.labels[index]",
        "labels = None if self.labels is None else self.labels[:len(index)]"), DATA),
    m("loader-resume-forgets-batch-position", "minigen/data/loader.py", (
        'self.epoch, self.batch = int(state["epoch"]), int(state["batch"])',
        'self.epoch, self.batch = int(state["epoch"]), 0'), DATA),
    m("to-symmetric-scale", "minigen/data/transforms.py", ("/ 127.5 - 1.0", "/ 128.0 - 1.0"), DATA),
    # --- the training loop's resume -------------------------------------------------------------
    m("resume-keeps-metrics-past-the-checkpoint", "minigen/training/loop.py", (
        "        run.truncate_metrics(start)\n", "        pass\n"), TRAIN,
      "a crash between a metrics write and a checkpoint leaves duplicate steps"),
    m("truncate-metrics-drops-the-checkpoint-step", "minigen/training/rundir.py", (
        'if r["step"] <= last_step]', 'if r["step"] < last_step]'), TRAIN),
    m("restore-skips-the-rng-state", "minigen/training/checkpoint.py", (
        '    mg_random.set_rng_state(state["rng"])\n', "    pass\n"), TRAIN + ["tests/test_vae.py"],
      "the autoencoder draws no random numbers; the VAE's resume test does"),
    m("op-case-constant-left-on-the-host", "minigen/opcases.py", (
        '        return constant.to(like.device)\n', '        return constant\n'),
      ["tests/test_kernels_emulated.py"], "the test bug the first GPU run found (2026-12-04)"),
    m("gpu-draws-from-a-generator-of-its-own", "minigen/random.py", (
        '    return _generator[0] if device == "cpu" else _OnDevice(_generator[0], device)\n',
        '    return _generator[0] if device == "cpu" else _OnDevice(np.random.default_rng(0), device)\n'),
      ["tests/test_kernels_emulated.py"], "the bug the first GPU run found (2026-12-04): a resumed GPU run diverged"),
    m("restore-skips-the-loader-position", "minigen/training/checkpoint.py", (
        '    loader.load_state_dict(state["loader"])\n', "    pass\n"), TRAIN),
    # --- gradcheck itself -------------------------------------------------------------------------
    m("gradcheck-ignores-max-elements", "minigen/gradcheck.py", (
        "if max_elements is not None and n > max_elements:", "if False:"), GRADCHECK),
    m("gradcheck-accepts-zero-jacobians", "minigen/gradcheck.py", (
        "if (result.passed and not allow_zero_jacobian and len(idx)",
        "if (False and result.passed and not allow_zero_jacobian and len(idx)"), GRADCHECK),
    m("gradcheck-one-sided-difference-scale", "minigen/gradcheck.py", (
        "numerical[k] = (plus - minus) / (2 * eps)", "numerical[k] = (plus - minus) / eps"), GRADCHECK),
]


def mutate(text, mutation):
    """The file text with the mutation's edits; each "before" must occur exactly once."""
    for before, after in mutation.edits:
        count = text.count(before)
        if count != 1:
            raise ValueError(f"{mutation.name}: {before!r} occurs {count} times in {mutation.path} (expected once)")
        text = text.replace(before, after)
    return text


def check():
    """Problems with the list itself: missing files, "before" texts not found exactly once."""
    problems, names = [], set()
    for mu in MUTATIONS:
        if mu.name in names:
            problems.append(f"{mu.name}: duplicate name")
        names.add(mu.name)
        path = ROOT / mu.path
        if not path.is_file():
            problems.append(f"{mu.name}: {mu.path} does not exist")
            continue
        try:
            mutate(path.read_text(), mu)
        except ValueError as exc:
            problems.append(str(exc))
        problems += [f"{mu.name}: test file {t} does not exist" for t in mu.tests if not (ROOT / t).is_file()]
    return problems


def wait_while_quiet():
    while QUIET.exists():
        time.sleep(20)


def first_failure(output):
    """The node id of the first failing test in pytest's -q output, or a short reason."""
    found = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", output, re.M)
    if found:
        return found.group(1)
    return output.strip().splitlines()[-1] if output.strip() else "(no output)"


def run_one(mu, timeout=600):
    """Plant the mutation, run its tests, restore the file. Returns (verdict, killer, seconds):
    "killed" (a test failed), "survived" (all passed) or "timed out" (the tests neither failed
    nor finished within ``timeout``: a hang is not a failing assertion, so it is not a kill)."""
    path = ROOT / mu.path
    if subprocess.run(["git", "diff", "--quiet", "--", mu.path], cwd=ROOT).returncode != 0:
        raise RuntimeError(f"{mu.path} has uncommitted changes; commit or stash them first")
    original = path.read_text()
    mutated = mutate(original, mu)
    start = time.perf_counter()
    try:
        path.write_text(mutated)
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                   "-o", "addopts=", *mu.tests], cwd=ROOT, capture_output=True, text=True,
                                  timeout=timeout)
            verdict = "killed" if proc.returncode != 0 else "survived"
            output = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired:
            verdict, output = "timed out", f"no result within {timeout} s"
    finally:
        path.write_text(original)
        if subprocess.run(["git", "diff", "--quiet", "--", mu.path], cwd=ROOT).returncode != 0:
            raise RuntimeError(f"{mu.path} was not restored; inspect it with git diff")
    killer = {"killed": first_failure(output), "survived": "-"}.get(verdict, output)
    return verdict, killer, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutations")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--check", action="store_true", help="check the list against the sources and exit")
    args = parser.parse_args(argv)
    if args.list:
        for mu in MUTATIONS:
            print(f"{mu.name:45s} {mu.path:38s} {' '.join(Path(t).stem for t in mu.tests)}")
        return 0
    problems = check()
    if problems or args.check:
        print("\n".join(problems) or f"{len(MUTATIONS)} mutations, all applicable")
        return 1 if problems else 0
    chosen = [mu for mu in MUTATIONS if not args.only or mu.name in args.only]
    unknown = set(args.only or ()) - {mu.name for mu in MUTATIONS}
    if unknown:
        print(f"unknown mutations: {', '.join(sorted(unknown))}")
        return 2
    try:
        os.nice(19)   # the children (pytest) inherit it
    except OSError:
        pass
    rows = []
    for i, mu in enumerate(chosen, 1):
        wait_while_quiet()
        verdict, killer, seconds = run_one(mu)
        rows.append((mu, verdict, killer, seconds))
        print(f"[{i}/{len(chosen)}] {verdict.upper() if verdict != 'killed' else verdict} {mu.name} "
              f"({seconds:.0f} s) {killer}", flush=True)
    n_killed = sum(verdict == "killed" for _, verdict, _, _ in rows)
    print("\n| mutation | file | result | killed by |\n|---|---|---|---|")
    for mu, verdict, killer, _ in rows:
        print(f"| {mu.name} | {mu.path} | {verdict if verdict == 'killed' else f'**{verdict}**'} | {killer} |")
    others = {v: [mu.name for mu, verdict, _, _ in rows if verdict == v] for v in ("survived", "timed out")}
    print(f"\n{n_killed} of {len(rows)} killed ({100 * n_killed / max(len(rows), 1):.0f}%); "
          + "; ".join(f"{v}: {', '.join(names) or 'none'}" for v, names in others.items()))
    return 0 if n_killed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
