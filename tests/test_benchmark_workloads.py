"""benchmarks/workloads: every model's training step has a PyTorch twin that computes the same
losses (so a broken twin cannot time something else unnoticed), and run.py --workload's table."""
import sys
from pathlib import Path

import pytest

import minigen as mg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import workloads  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture
def one_thread():
    # two cores shared with other processes: BLAS threads would only fight over them
    import torch
    before = mg.get_num_threads(), torch.get_num_threads()
    mg.set_num_threads(1)
    torch.set_num_threads(1)
    yield torch
    mg.set_num_threads(before[0])
    torch.set_num_threads(before[1])


@pytest.mark.parametrize("name", workloads.NAMES)
def test_the_pytorch_twin_gives_minigens_losses_on_two_steps(name, one_thread):
    pairs = workloads.check(name, one_thread, batch=2)
    assert pairs   # at least one loss of the same name compared (check raises on a mismatch)


def test_a_twin_with_other_weights_fails_the_check(one_thread, monkeypatch):
    from workloads import cgan, twin

    def copy_and_nudge(src, dst, torch):
        twin.copy_weights(src, dst, torch)
        with torch.no_grad():
            next(dst.parameters()).mul_(1.1)
    monkeypatch.setattr(cgan, "copy_weights", copy_and_nudge)
    with pytest.raises(RuntimeError, match="cgan .step 1.: minigen's first-step .* not the same computation"):
        workloads.check("cgan", one_thread, batch=2)


def test_losses_compare_only_the_keys_both_return():
    from workloads.common import check_losses
    assert check_losses("w", {"a": 1.0, "b": 2.0}, {"a": 1.0005, "c": 9.0}) == {"a": (1.0, 1.0005)}
    with pytest.raises(RuntimeError, match="w: minigen's first-step a is 1.0, PyTorch's 1.01"):
        check_losses("w", {"a": 1.0}, {"a": 1.01})
    with pytest.raises(RuntimeError, match="no loss of the same name"):
        check_losses("w", {"a": 1.0}, {"b": 1.0})


def test_run_prints_the_workload_table_and_the_worst_ratio(one_thread, capsys):
    import run as bench
    rows = bench.main(["--torch", "--threads", "1", "--workload", "vae", "--scales", "1", "--repeat", "1",
                       "--profile"])
    out = capsys.readouterr().out
    assert "| vae | 64 | 1 |" in out and "same losses on 2 steps" in out
    assert f"worst ratio at 1x the default batch: {rows[0]['ratio']:.2f}x (vae, batch 64); target <= 1.0x" in out
    assert "## mg.profile() of 3 vae steps, batch 64" in out


def test_profile_step_prints_both_libraries_tables(one_thread, capsys):
    import profile_step
    profile_step.main(["vae", "--batch", "2", "--steps", "1", "--rows", "3"])
    out = capsys.readouterr().out
    assert "## minigen, mg.profile():" in out and "outside them" in out
    assert "## PyTorch, torch.profiler" in out and "Self CPU time total" in out


@pytest.mark.parametrize("argv, message", [(["--workload", "vae,gan"], "--workload vae,gan: expected all or"),
                                           (["--workload", "vae", "--scales", "0"], "--scales 0: expected positive")])
def test_run_refuses_a_bad_workload_with_one_line(argv, message):
    import run as bench
    with pytest.raises(SystemExit) as exc:
        bench.main(argv)
    assert message in str(exc.value) and "\n" not in str(exc.value)
