"""The command line: selfcheck's table and exit codes, and clear one-line errors."""
import subprocess
import sys

from minigen import backend
from minigen.cli import main


def test_selfcheck_prints_an_all_pass_table(capsys):
    assert main(["selfcheck"]) == 0
    out = capsys.readouterr().out
    assert "max abs err" in out and "FAIL" not in out
    assert " 0 failed" in out


def test_selfcheck_cuda_without_gpu_is_a_one_line_error(capsys):
    if backend.cuda_is_available():
        return
    assert main(["selfcheck", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigen: error:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_device_is_a_one_line_error(capsys):
    assert main(["selfcheck", "--device", "tpu"]) == 2
    assert "device='tpu'" in capsys.readouterr().err


def test_python_dash_m_minigen_help():
    out = subprocess.run([sys.executable, "-m", "minigen", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "selfcheck" in out.stdout and "Example" in out.stdout
