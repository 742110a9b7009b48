"""The benchmark scripts still run (smallest settings; their numbers are not asserted)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def test_run_prints_the_table_the_scaling_line_and_writes_the_plot(tmp_path, capsys):
    import run as bench
    bench.main(["--repeat", "1", "--batches", "16,32", "--plot", str(tmp_path / "scaling.png")])
    out = capsys.readouterr().out
    for row in ("| dcgan step | 64 |", "| vae step | 128 |", "| dcgan step | 16 |", "| dcgan step | 32 |"):
        assert row in out
    assert (tmp_path / "scaling.png").stat().st_size > 1000
    assert "batch 64 to" not in out  # no batch above 64: no growth to report


def test_scaling_summary_is_the_ratio_of_the_two_step_times():
    import run as bench
    measured = {("dcgan", 64): [0.5, 0.4], ("dcgan", 512): [3.0, 4.0]}
    line = bench.scaling_summary([64, 512], measured, ["minigen", "PyTorch"])
    assert "minigen x6.00" in line and "PyTorch x10.00" in line and "linear is x8" in line


def test_ab_alternates_the_two_settings_and_leaves_the_after_in_place(capsys):
    import ab
    from minigen.nn.functional import conv
    column_bytes = conv.CPU_COLUMN_BYTES
    ab.main(["slices", "--batches", "4", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "| minigen | 4 |" in out and "whole batch" in out
    assert conv.CPU_COLUMN_BYTES == column_bytes


def test_memory_is_measured_in_a_fresh_process():
    import math
    import run as bench
    mib = bench.measure_memory("dcgan", 4, "minigen", "cpu", 1)
    assert math.isfinite(mib) and mib >= 0


def test_gpu_session_script_parses():
    # It can only run where a GPU is lent; here bash checks its syntax.
    import subprocess
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_session.sh"
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_benchmarks_refuse_an_unavailable_device_with_one_line(capsys):
    import pytest
    import run as bench
    from minigen import backend
    try:
        backend.check_device("cuda")
    except (RuntimeError, ValueError):
        with pytest.raises(SystemExit) as exc:
            bench.main(["--device", "cuda"])
        assert "--device cuda" in str(exc.value) and "Traceback" not in str(exc.value)
    else:
        pytest.skip("a GPU is available here")


def test_layer_scaling_lists_every_convolution_routine(capsys):
    import layer_scaling
    from minigen.nn.functional import conv
    forward = conv._conv_forward
    layer_scaling.main(["--batches", "4,8", "--repeat", "1"])
    assert conv._conv_forward is forward  # the timing wrappers are gone again
    out = capsys.readouterr().out
    for routine in ("im2col + GEMM", "GEMM + col2im", "weight gradient", "batch norm", "leaky_relu"):
        assert f"| {routine}" in out


def test_flip_rule_times_both_routes_and_restores_the_rule(capsys):
    import flip_rule
    from minigen.nn.functional import conv
    rule = conv._flip_is_cheaper
    flip_rule.main(["--repeat", "1"])
    assert conv._flip_is_cheaper is rule
    assert capsys.readouterr().out.count("| (") == len(flip_rule.LAYERS)


def test_alternating_timings_rest_before_each_timed_call(monkeypatch):
    """An idle BLAS/OpenMP pool spins for a while after its last call; each library's step is
    timed only after the other's threads had PAUSE_S to fall asleep (alone: no rest needed)."""
    import timing
    rests = []
    monkeypatch.setattr(timing.time, "sleep", rests.append)
    timing.median_interleaved([lambda: None, lambda: None], [lambda: None] * 2, 3)
    assert rests == [timing.PAUSE_S] * 6
    rests.clear()
    timing.median_interleaved([lambda: None], [lambda: None], 3)
    timing.median_interleaved([lambda: None, lambda: None], [lambda: None] * 2, 3, pause=0)
    assert rests == []
