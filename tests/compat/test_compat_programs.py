"""PyTorch programs that run on minigen with only their import lines changed (issue 15).

Each program here is written twice: ``NAME_torch.py`` imports torch, ``NAME_minigen.py``
imports minigen under the same names (``import minigen as torch``). A test diffs the two and
allows only import lines to differ; the minigen twin trains a few steps on tiny data in CI;
where PyTorch is installed both twins start from the same weights (PyTorch's, loaded with
``load_state_dict``) and the same batches and noise, in float64, and must log the same losses.
"""
import difflib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent
PROGRAMS = ("dcgan", "vae", "mnist")


def load(name, library):
    spec = importlib.util.spec_from_file_location(f"compat_{name}_{library}", HERE / f"{name}_{library}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_import(line):
    return line.startswith(("import ", "from "))


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_two_twins_differ_only_in_their_import_lines(name):
    torch_lines = (HERE / f"{name}_torch.py").read_text().splitlines()
    minigen_lines = (HERE / f"{name}_minigen.py").read_text().splitlines()
    changed = [line[1:] for line in difflib.unified_diff(torch_lines, minigen_lines, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed, "the minigen twin should import minigen"
    assert all(is_import(line) for line in changed), [line for line in changed if not is_import(line)]
    assert any("minigen" in line for line in minigen_lines if is_import(line))
    assert not any("torch" in line.split(" as ")[0] for line in minigen_lines if is_import(line))


def tiny_images(shape, low=-1.0, high=1.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def test_dcgan_program_trains_on_minigen(capsys):
    dcgan = load("dcgan", "minigen")
    netG, netD = dcgan.build(nz=8, ngf=4, ndf=4, nc=1)
    log, fake = dcgan.train(netG, netD, tiny_images((8, 1, 64, 64)).astype(np.float32), nz=8, batch_size=4)
    assert len(log) == 2 and np.isfinite(log).all() and fake.shape == (64, 1, 64, 64)
    assert "Loss_D" in capsys.readouterr().out


def test_vae_program_trains_on_minigen():
    vae = load("vae", "minigen")
    model = vae.build(pixels=64, hidden=16, latent=4)
    losses, sample = vae.train(model, tiny_images((12, 1, 8, 8), 0.0, 1.0).astype(np.float32), batch_size=4)
    assert len(losses) == 3 and np.isfinite(losses).all() and sample.shape == (64, 64)


def test_mnist_program_trains_on_minigen():
    mnist = load("mnist", "minigen")
    labels = np.arange(16) % 10
    losses, test_loss, correct, lr = mnist.main(mnist.build(width=4), tiny_images((16, 1, 28, 28), 0, 1).astype(np.float32),
                                                labels, epochs=2, batch_size=8)
    assert len(losses) == 4 and np.isfinite(losses).all() and 0 <= correct <= 16
    assert lr == pytest.approx(1.0 * 0.7 ** 2)


# ----------------------------------------------------------------------------- against PyTorch


def twins(name):
    pytest.importorskip("torch")
    return load(name, "torch"), load(name, "minigen")


def same_weights(theirs, ours):
    """PyTorch's initial weights into the minigen model; both in float64."""
    theirs.double()
    ours.double()
    result = ours.load_state_dict(theirs.state_dict())
    assert not result.missing_keys and not result.unexpected_keys


@pytest.mark.torch
def test_dcgan_program_logs_pytorchs_losses_from_the_same_weights(capsys):
    import torch
    t, m = twins("dcgan")
    (tG, tD), (mG, mD) = t.build(nz=8, ngf=4, ndf=4, nc=1), m.build(nz=8, ngf=4, ndf=4, nc=1)
    same_weights(tG, mG), same_weights(tD, mD)
    images = tiny_images((12, 1, 64, 64))
    z = np.random.default_rng(1).standard_normal((12, 8, 1, 1))
    draws = {"torch": iter(z.reshape(3, 4, 8, 1, 1)), "minigen": iter(z.reshape(3, 4, 8, 1, 1))}
    log_t, _ = t.train(tG, tD, images, nz=8, batch_size=4, shuffle=False, dtype=torch.float64,
                       noise=lambda b: torch.tensor(next(draws["torch"])))
    log_m, _ = m.train(mG, mD, images, nz=8, batch_size=4, shuffle=False, dtype=np.float64,
                       noise=lambda b: m.torch.tensor(next(draws["minigen"])))
    np.testing.assert_allclose(log_m, log_t, rtol=1e-9, atol=1e-12)
    for a, b in zip(mG.parameters(), tG.parameters()):   # three Adam steps later, the same weights
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.torch
def test_vae_program_logs_pytorchs_losses_from_the_same_weights(capsys):
    import torch
    t, m = twins("vae")
    theirs, ours = t.build(pixels=64, hidden=16, latent=4), m.build(pixels=64, hidden=16, latent=4)
    same_weights(theirs, ours)
    images = tiny_images((12, 1, 8, 8), 0.0, 1.0)
    eps = np.random.default_rng(2).standard_normal((3, 4, 4))
    it_t, it_m = iter(eps), iter(eps)
    losses_t, _ = t.train(theirs, images, batch_size=4, shuffle=False, dtype=torch.float64,
                          eps=lambda n: torch.tensor(next(it_t)))
    losses_m, _ = m.train(ours, images, batch_size=4, shuffle=False, dtype=np.float64,
                          eps=lambda n: m.torch.tensor(next(it_m)))
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-9)


@pytest.mark.torch
def test_mnist_program_logs_pytorchs_losses_from_the_same_weights(capsys):
    import torch
    t, m = twins("mnist")
    theirs, ours = t.build(width=4), m.build(width=4)
    same_weights(theirs, ours)
    for net in (theirs, ours):      # dropout's masks are random draws: switched off to compare
        net.dropout1.p = net.dropout2.p = 0.0
    images, labels = tiny_images((16, 1, 28, 28), 0.0, 1.0), np.arange(16) % 10
    result_t = t.main(theirs, images, labels, epochs=2, batch_size=8, shuffle=False, dtype=torch.float64)
    result_m = m.main(ours, images, labels, epochs=2, batch_size=8, shuffle=False, dtype=np.float64)
    np.testing.assert_allclose(result_m[0], result_t[0], rtol=1e-9)
    assert result_m[1] == pytest.approx(result_t[1], rel=1e-9) and result_m[2:] == pytest.approx(result_t[2:])
