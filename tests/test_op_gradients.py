"""Every op's first and second derivatives against central finite differences."""
import pytest

from minigen.tensor import Function
from minigen.opcases import CASES, GPU_ONLY_FUNCTIONS, cases_for
from minigen.selfcheck import run_case

_IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_gradcheck(case, device):
    if device not in case.devices:
        pytest.skip(f"case runs on {case.devices} only")
    result = run_case(case, device, order=1)
    assert result.passed, result.message


@pytest.mark.parametrize("case", [c for c in CASES if c.second_order],
                         ids=[c.name for c in CASES if c.second_order])
def test_gradgradcheck(case, device):
    if device not in case.devices:
        pytest.skip(f"case runs on {case.devices} only")
    result = run_case(case, device, order=2)
    assert result.passed, result.message


def test_every_function_is_exercised_by_a_case(device):
    """A Function subclass that no case runs (forward or in a backward) fails here."""
    import minigen.nn  # noqa: F401  (registers the layer Functions too)
    Function.invoked = set()
    try:
        for case in cases_for(device):
            run_case(case, device, order=2 if case.second_order else 1)
        invoked = set(Function.invoked)
    finally:
        Function.invoked = None
    expected = set(Function.registry)
    if device == "cpu":
        expected -= GPU_ONLY_FUNCTIONS
    missing = expected - invoked
    assert not missing, f"Functions without a gradcheck case: {sorted(missing)}"
