"""The mutation list (``benchmarks/mutations.py``) stays applicable: every planted bug's
"before" text occurs exactly once in its file and its test files exist. No mutation is
run here; the script runs them on demand."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("mutations", ROOT / "benchmarks" / "mutations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_mutation_still_applies_to_its_source():
    mutations = load_script()
    assert mutations.check() == []


def test_the_list_covers_every_area_with_at_least_40_bugs():
    mutations = load_script()
    assert len(mutations.MUTATIONS) >= 40
    areas = {"minigen/ops/", "minigen/nn/functional/", "minigen/models/", "minigen/optim/", "minigen/data/",
             "minigen/training/"}
    assert all(any(mu.path.startswith(a) for mu in mutations.MUTATIONS) for a in areas)


def test_a_mutation_changes_the_text_and_a_stale_one_is_reported():
    mutations = load_script()
    mu = mutations.MUTATIONS[0]
    text = (ROOT / mu.path).read_text()
    assert mutations.mutate(text, mu) != text
    stale = mutations.Mutation("stale", mu.path, [("no such text in the file", "x")], mu.tests)
    try:
        mutations.mutate(text, stale)
    except ValueError as exc:
        assert "occurs 0 times" in str(exc)
    else:
        raise AssertionError("a stale mutation was applied")
