"""The README's commands are the ones CI runs."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command_verbatim():
    readme = ROOT.joinpath("README.md").read_text()
    ci = ROOT.joinpath(".ci", "run").read_text()
    command = 'pip install -e ".[test]" && python -m pytest -q'
    assert command in readme.split("## What is inside")[0]
    assert command in ci.splitlines()


def test_ci_installs_pytorch_so_the_parity_tests_run():
    ci = ROOT.joinpath(".ci", "run").read_text().splitlines()
    readme_command = 'pip install -e ".[test]" && python -m pytest -q'
    assert ci.index("pip install -q torch==2.13.0") < ci.index(readme_command)
