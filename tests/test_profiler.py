"""mg.profile(): per-op forward/backward self times."""
import pytest

import minigen as mg


def test_profile_counts_forward_and_backward_per_op():
    x = mg.randn(8, 8, requires_grad=True)
    with mg.profile() as prof:
        y = (x @ x).tanh().sum()
        y.backward()
    calls = {(r["op"], r["phase"]): r["calls"] for r in prof.rows}
    assert calls[("MatMul", "forward")] >= 1 and calls[("Tanh", "backward")] == 1
    assert ("Sum", "backward") in calls
    assert all(r["seconds"] >= 0 for r in prof.rows)
    assert "MatMul" in prof.table()


def test_nested_calls_are_not_counted_twice():
    import time
    from minigen.profiler import profile
    p = profile()
    p.start()
    p.start()
    time.sleep(0.02)
    p.stop("inner", "forward")
    p.stop("outer", "backward")
    inner = p.records[("inner", "forward")][1]
    outer = p.records[("outer", "backward")][1]
    assert inner >= 0.02 and outer < 0.01
    assert p.total == pytest.approx(inner + outer)


def test_profiles_do_not_nest():
    with mg.profile():
        with pytest.raises(RuntimeError, match="already active"):
            with mg.profile():
                pass
    assert mg.profiler.active() is None
