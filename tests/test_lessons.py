"""The lessons: every notebook runs top to bottom, and stays small, clean and self-checking.

Execution uses **nbclient** directly: the Jupyter team's own executor, speaking the plain
Jupyter protocol to a kernel and nothing more. nbmake and nbval would add a pytest-plugin
layer (their own collection and comparison rules) that we do not need, and papermill pulls in
more dependencies; we only borrow papermill's *conventions*: one code cell tagged
``parameters`` near the top, and a cell injected right after it (``injected-parameters``)
that sets ``FAST = True``. ``MINIGEN_FAST=1`` in the kernel's environment asks for the same
small sizes, so any other tool can select them too.

The static checks need only the standard library (a notebook is JSON), so they run even where
nbclient is missing; the execution tests skip with a clear reason there.
"""
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
SOLUTIONS = LESSONS / "solutions"
EXPECTED = ("00_autograd", "01_convolution", "02_batchnorm_and_gpu", "03_vae", "04_gan", "05_wgan",
            "06_cyclegan", "07_super_resolution", "08_image_to_image")

LESSON_PATHS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
SOLUTION_PATHS = sorted(SOLUTIONS.glob("[0-9][0-9]_*_solutions.ipynb"))
ALL_PATHS = LESSON_PATHS + SOLUTION_PATHS

MAX_NOTEBOOK_BYTES = 1_500_000   # committed with outputs; figures at 80 dpi are ~20-60 kB each
MAX_FIGURE_BYTES = 300_000       # one PNG (base64); larger means a too-high dpi or a data dump
MAX_CELL_LINES = 30              # "no cell longer than a screen" (LESSONS.md)
CELL_TIMEOUT_S = 120             # per cell, fast mode; the slowest takes a few seconds
ALLOWED_MIME = {"text/plain", "image/png"}
NOT_ATTEMPTED = "not attempted yet"   # what a self-check prints while its exercise is a stub


def _rel(path):
    return path.relative_to(LESSONS).as_posix()


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _code_cells(nb):
    return [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def _self_checks(nb):
    return [_source(c) for _, c in _code_cells(nb) if "self-check" in _tags(c)]


def _output_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append("".join(out.get("text", "")))
        elif "text/plain" in out.get("data", {}):
            parts.append("".join(out["data"]["text/plain"]))
    return "".join(parts)


paths = pytest.mark.parametrize("path", ALL_PATHS, ids=_rel)
lesson_paths = pytest.mark.parametrize("path", LESSON_PATHS, ids=_rel)


# ----------------------------------------------------------------------------- inventory

def test_every_lesson_and_its_solutions_exist():
    assert [p.stem for p in LESSON_PATHS] == list(EXPECTED)
    assert [p.stem for p in SOLUTION_PATHS] == [f"{name}_solutions" for name in EXPECTED]
    index = (LESSONS / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"{name}.ipynb" in index, f"lessons/README.md does not list {name}.ipynb"
    assert 'pip install -e ".[lessons]" && jupyter lab lessons/' in index


# ----------------------------------------------------------------------------- static checks

@paths
def test_exactly_one_parameters_cell_near_the_top(path):
    nb = _load(path)
    tagged = [i for i, c in enumerate(nb["cells"]) if "parameters" in _tags(c)]
    assert len(tagged) == 1, f"{_rel(path)}: {len(tagged)} cells tagged 'parameters', expected 1"
    i = tagged[0]
    assert nb["cells"][i]["cell_type"] == "code" and i <= 5, f"{_rel(path)}: parameters cell {i}"
    assert "FAST" in _source(nb["cells"][i])
    following = _source(nb["cells"][i + 1])
    assert 'os.environ.get("MINIGEN_FAST") == "1"' in following, (
        f"{_rel(path)}: the cell after 'parameters' must apply MINIGEN_FAST from the environment")


@paths
def test_no_error_outputs_and_every_cell_executed(path):
    for i, cell in _code_cells(_load(path)):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{_rel(path)}: cell {i} stores an error output"
            assert out.get("name") != "stderr", f"{_rel(path)}: cell {i} stores stderr output"
        assert cell.get("execution_count") is not None, (
            f"{_rel(path)}: cell {i} was not executed; commit the notebooks with a full run's outputs")


@paths
def test_size_and_no_embedded_data(path):
    size = path.stat().st_size
    assert size < MAX_NOTEBOOK_BYTES, f"{_rel(path)} is {size:,} bytes (limit {MAX_NOTEBOOK_BYTES:,})"
    blob = re.compile(r"[A-Za-z0-9+/=]{400,}")
    for i, cell in enumerate(_load(path)["cells"]):
        assert not cell.get("attachments"), f"{_rel(path)}: cell {i} embeds attachments"
        assert not blob.search(_source(cell)), f"{_rel(path)}: cell {i} source holds an encoded blob"
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            extra = set(data) - ALLOWED_MIME
            assert not extra, f"{_rel(path)}: cell {i} stores outputs of type {sorted(extra)}"
            png = "".join(data.get("image/png", ""))
            assert len(png) < MAX_FIGURE_BYTES, f"{_rel(path)}: cell {i} has a {len(png):,}-byte figure"


@paths
def test_no_cell_longer_than_a_screen(path):
    for i, cell in enumerate(_load(path)["cells"]):
        lines = _source(cell).count("\n") + 1
        assert lines <= MAX_CELL_LINES, f"{_rel(path)}: cell {i} has {lines} lines"


@lesson_paths
def test_lesson_has_figures(path):
    figures = sum("image/png" in out.get("data", {})
                  for _, c in _code_cells(_load(path)) for out in c.get("outputs", []))
    assert figures >= 2, f"{_rel(path)}: {figures} stored figures; commit a full run's outputs"


@lesson_paths
def test_lesson_ends_with_exercises_and_their_self_checks(path):
    cells = _load(path)["cells"]
    headers = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
               and re.match(r"\s*## ", _source(c))]
    last = headers[-1]
    assert _source(cells[last]).strip().startswith("## Exercises"), (
        f"{_rel(path)}: the final section must be '## Exercises'")
    tail = cells[last:]
    stubs = [c for c in tail if "exercise" in _tags(c)]
    checks = [c for c in tail if "self-check" in _tags(c)]
    assert 2 <= len(checks) <= 3 and len(stubs) == len(checks), (
        f"{_rel(path)}: {len(stubs)} exercise cells and {len(checks)} self-check cells")
    for c in checks:
        src = _source(c)
        assert "assert" in src and "except NotImplementedError" in src, (
            f"{_rel(path)}: a self-check must assert and skip gracefully while the exercise is a stub")
        assert NOT_ATTEMPTED in _output_text(c), (
            f"{_rel(path)}: a self-check's stored output should show it skipped the unwritten stub")


@lesson_paths
def test_solutions_carry_the_same_self_checks(path):
    solution = SOLUTIONS / f"{path.stem}_solutions.ipynb"
    assert solution.exists(), f"no worked solutions for {path.name}"
    lesson_checks, solution_checks = _self_checks(_load(path)), _self_checks(_load(solution))
    assert solution_checks == lesson_checks, f"{_rel(solution)}: self-checks differ from {path.name}'s"
    for cell in [c for _, c in _code_cells(_load(solution)) if "self-check" in _tags(c)]:
        assert "correct" in _output_text(cell), f"{_rel(solution)}: a stored self-check did not pass"


# ----------------------------------------------------------------------------- execution

def _executor_modules():
    """(nbformat, nbclient), or skip with the reason (they are in the `test` extra)."""
    missing = []
    for name in ("nbformat", "nbclient", "ipykernel"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        pytest.skip(f"running the lessons needs {', '.join(missing)}: pip install -e \".[test]\"")
    import nbclient
    import nbformat
    return nbformat, nbclient


def _inject_fast(nb, nbformat):
    """Insert `FAST = True` right after the `parameters` cell (papermill's convention)."""
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    cell = nbformat.v4.new_code_cell("# Injected by tests/test_lessons.py\nFAST = True")
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, cell)
    return index + 1


def _failure(path, nb, injected_at):
    """'<notebook>: cell <i> (<first line>): <error>' for the first cell holding an error."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                original = i - (i > injected_at)   # index in the notebook as committed
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return (f"{_rel(path)}: cell {original} ({first_line!r}) failed:\n"
                        f"{out.get('ename')}: {out.get('evalue')}")
    return None


@paths
def test_notebook_runs_top_to_bottom_in_fast_mode(path):
    nbformat, nbclient = _executor_modules()
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    injected_at = _inject_fast(nb, nbformat)
    # The kernel must import this checkout's minigen even when it is not pip-installed.
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, MINIGEN_FAST="1", PYTHONPATH=pythonpath)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     record_timing=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    # No wall-clock assertion (the project's rule: no timing assertions in tests; shared CI
    # machines vary several-fold). CELL_TIMEOUT_S only stops a hung kernel.
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as exc:
        message = _failure(path, nb, injected_at) or f"{_rel(path)}: {type(exc).__name__}: {exc}"
        pytest.fail(message, pytrace=False)

    checks = [c for c in nb.cells if c.cell_type == "code" and "self-check" in c.metadata.get("tags", [])]
    assert checks, f"{_rel(path)}: no self-check cells ran"
    if path.parent == SOLUTIONS:   # the worked solutions must pass their checks, not skip them
        for cell in checks:
            assert NOT_ATTEMPTED not in _output_text(cell) and "correct" in _output_text(cell), (
                f"{_rel(path)}: self-check {cell.source.splitlines()[0]!r} did not pass")
