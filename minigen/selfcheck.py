"""``minigen selfcheck``: gradcheck and gradgradcheck of every op, as a table.

Each row is one case from ``minigen.opcases``: the first and the second derivative
compared with central finite differences in float64. Exit status 1 if any row fails.
"""
import sys
import time

from .gradcheck import check_gradients, check_second_gradients
from .opcases import cases_for


def run_case(case, device="cpu", order=1):
    """Run one case; returns a GradcheckResult (order 1: gradcheck, 2: gradgradcheck)."""
    inputs = case.inputs(device)
    check = check_gradients if order == 1 else check_second_gradients
    return check(case.fn, inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)


def selfcheck(device="cpu", out=None, groups=None):
    """Check every case on ``device``; print the table; return True if all pass."""
    out = out or sys.stdout  # looked up now, so redirected output is honoured
    rows, ok = [], True
    start = time.perf_counter()
    for case in cases_for(device, groups):
        for order in (1, 2) if case.second_order else (1,):
            try:
                r = run_case(case, device, order)
                passed, abs_err, rel_err, msg = r.passed, r.max_abs_err, r.max_rel_err, r.message
            except Exception as exc:  # an op that crashes is a failure, not a crash of the table
                passed, abs_err, rel_err, msg = False, float("nan"), float("nan"), f"{type(exc).__name__}: {exc}"
            ok &= passed
            rows.append((case.name, "grad" if order == 1 else "gradgrad", abs_err, rel_err, passed, msg))
    width = max(len(r[0]) for r in rows)
    print(f"minigen selfcheck on {device}: finite differences (float64, central, eps=1e-6)", file=out)
    print(f"{'op':<{width}}  {'check':<8}  {'max abs err':>11}  {'max rel err':>11}  result", file=out)
    print("-" * (width + 46), file=out)
    for name, kind, abs_err, rel_err, passed, msg in rows:
        line = f"{name:<{width}}  {kind:<8}  {abs_err:11.2e}  {rel_err:11.2e}  {'pass' if passed else 'FAIL'}"
        print(line if passed else f"{line}  <- {msg}", file=out)
    n_fail = sum(not r[4] for r in rows)
    print(f"{len(rows) - n_fail} passed, {n_fail} failed in {time.perf_counter() - start:.1f}s", file=out)
    return ok
