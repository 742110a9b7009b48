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


def test_verdicts_killed_survived_and_a_hang_is_not_a_kill(tmp_path, monkeypatch):
    """run_one in a scratch git repository: a failing test kills, a passing one lets the bug
    survive, and tests that hang past the timeout are reported as such, not as a kill."""
    import subprocess

    mutations = load_script()
    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    (tmp_path / "value.py").write_text("VALUE = 1\n")
    (tmp_path / "test_value.py").write_text(
        "import time\nfrom value import VALUE\n\n\ndef test_value():\n"
        "    if VALUE == 3:\n        time.sleep(30)\n    assert VALUE in (1, 2)\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "scratch")
    monkeypatch.setattr(mutations, "ROOT", tmp_path)
    cases = {"killed": "VALUE = 0", "survived": "VALUE = 2", "timed out": "VALUE = 3"}
    for expected, after in cases.items():
        mu = mutations.Mutation(expected, "value.py", [("VALUE = 1", after)], ["test_value.py"])
        verdict, killer, _ = mutations.run_one(mu, timeout=8)
        assert verdict == expected, (expected, verdict, killer)
        assert (tmp_path / "value.py").read_text() == "VALUE = 1\n"   # restored every time
    assert mutations.run_one(mutations.Mutation("k", "value.py", [("VALUE = 1", "VALUE = 0")],
                                                ["test_value.py"]), timeout=8)[1].startswith("test_value.py")
