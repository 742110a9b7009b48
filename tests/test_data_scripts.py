"""The data scripts (data_scripts/*.py) without network: a fake URL opener stands in for it."""
import gzip
import hashlib
import io
import os
import struct
import subprocess
import sys
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPTS = Path(__file__).resolve().parents[1] / "data_scripts"
sys.path.insert(0, str(SCRIPTS))  # the scripts import each other as top-level modules

import _download  # noqa: E402
import get_celeba  # noqa: E402
import get_cyclegan  # noqa: E402
import get_fashion_mnist  # noqa: E402
import get_mnist  # noqa: E402

from minigen.data import load_dataset  # noqa: E402

CONTENT = bytes(range(256)) * 40  # 10,240 bytes to "download"
SHA = hashlib.sha256(CONTENT).hexdigest()


class FakeResponse(io.BytesIO):
    def __init__(self, body, status=200, content_type="application/octet-stream", fail_after=None):
        super().__init__(body)
        self.status = status
        self.headers = {"Content-Length": str(len(body)), "Content-Type": content_type}
        self.fail_after = fail_after

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        return super().read(min(n, 1000))  # small reads so that fail_after can bite


class FakeServer:
    """Serves CONTENT, honouring Range headers unless told not to; records each request."""

    def __init__(self, honour_range=True, fail_after=None, content_type="application/zip"):
        self.honour_range, self.fail_after = honour_range, fail_after
        self.content_type = content_type
        self.ranges = []

    def __call__(self, request, timeout=None):
        header = request.get_header("Range")
        self.ranges.append(header)
        if header and self.honour_range:
            start = int(header.split("=")[1].rstrip("-"))
            return FakeResponse(CONTENT[start:], 206, self.content_type)
        fail_after, self.fail_after = self.fail_after, None  # only the first request breaks
        return FakeResponse(CONTENT, 200, self.content_type, fail_after)


def offline(request, timeout=None):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def no_network_expected(request, timeout=None):
    raise AssertionError(f"tried to download {request.full_url}")


# --------------------------------------------------------------------------- offline failure

@pytest.mark.parametrize("script, argv, by_hand", [
    (get_mnist, [], "raw/mnist"),
    (get_fashion_mnist, ["--no-system"], "raw/fashion-mnist"),
    (get_cyclegan, ["horse2zebra"], "raw/cyclegan/horse2zebra.zip"),
    (get_celeba, [], "--zip"),
])
def test_offline_fails_with_one_line_naming_url_and_where_to_put_files(
        tmp_path, monkeypatch, capsys, script, argv, by_hand):
    monkeypatch.setattr(_download, "urlopen", offline)
    assert script.main(argv + ["--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "could not download http" in err and "name resolution" in err and by_hand in err


def test_offline_command_line_exits_nonzero_without_traceback(tmp_path):
    # a proxy on a closed local port makes every request fail at once, without any network
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    env.update(MINIGEN_DATA=str(tmp_path), http_proxy="http://127.0.0.1:9",
               https_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9")
    result = subprocess.run([sys.executable, str(SCRIPTS / "get_mnist.py")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "storage.googleapis.com" in result.stderr


@pytest.mark.parametrize("script", [get_mnist, get_fashion_mnist, get_celeba, get_cyclegan])
def test_help_shows_an_example(script, capsys):
    with pytest.raises(SystemExit) as info:
        script.main(["--help"])
    assert info.value.code == 0 and "Example:" in capsys.readouterr().out


# --------------------------------------------------------------------------- download()

def test_resumes_a_partial_download_with_a_range_header(tmp_path, monkeypatch):
    server = FakeServer()
    monkeypatch.setattr(_download, "urlopen", server)
    dest = tmp_path / "file.bin"
    (tmp_path / "file.bin.part").write_bytes(CONTENT[:3000])
    _download.download("http://example.invalid/file.bin", dest, sha256=SHA)
    assert server.ranges == ["bytes=3000-"]
    assert dest.read_bytes() == CONTENT and not (tmp_path / "file.bin.part").exists()


def test_restarts_when_the_server_ignores_the_range(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", FakeServer(honour_range=False))
    dest = tmp_path / "file.bin"
    (tmp_path / "file.bin.part").write_bytes(b"stale bytes")
    _download.download("http://example.invalid/file.bin", dest, sha256=SHA)
    assert dest.read_bytes() == CONTENT


def test_interrupted_download_resumes_on_the_next_run(tmp_path, monkeypatch):
    server = FakeServer(fail_after=4000)
    monkeypatch.setattr(_download, "urlopen", server)
    dest = tmp_path / "file.bin"
    with pytest.raises(_download.DownloadError, match="run again to resume"):
        _download.download("http://example.invalid/file.bin", dest, sha256=SHA)
    assert (tmp_path / "file.bin.part").stat().st_size == 4000
    _download.download("http://example.invalid/file.bin", dest, sha256=SHA)
    assert server.ranges == [None, "bytes=4000-"] and dest.read_bytes() == CONTENT


def test_wrong_checksum_deletes_the_part_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", FakeServer())
    dest = tmp_path / "file.bin"
    with pytest.raises(_download.DownloadError, match="expected 0000"):
        _download.download("http://example.invalid/file.bin", dest, sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_md5_is_checked_too(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", FakeServer())
    md5 = hashlib.md5(CONTENT).hexdigest()
    _download.download("http://example.invalid/f", tmp_path / "f", md5=md5)
    assert (tmp_path / "f").read_bytes() == CONTENT


def test_unpublished_checksum_is_recorded_then_enforced(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", FakeServer())
    checksums = tmp_path / "checksums.json"
    dest = tmp_path / "data.zip"
    _download.download("http://example.invalid/data.zip", dest, checksums=checksums)
    assert SHA in checksums.read_text()
    dest.write_bytes(b"a different file")
    with pytest.raises(_download.DownloadError, match=f"expected {SHA}"):
        _download.download("http://example.invalid/data.zip", dest, checksums=checksums)


def test_file_placed_by_hand_is_used_without_network(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", no_network_expected)
    (tmp_path / "f").write_bytes(CONTENT)
    assert _download.download("http://example.invalid/f", tmp_path / "f", sha256=SHA).is_file()


def test_a_web_page_instead_of_the_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", FakeServer(content_type="text/html; charset=utf-8"))
    with pytest.raises(_download.DownloadError, match="web page"):
        _download.download("http://example.invalid/f", tmp_path / "f", sha256=SHA)


def test_mirrors_are_tried_in_order(tmp_path, monkeypatch):
    server = FakeServer()
    monkeypatch.setattr(_download, "urlopen",
                        lambda r, timeout=None: offline(r) if "first" in r.full_url else server(r))
    _download.download(["http://first.invalid/f", "http://second.invalid/f"], tmp_path / "f",
                       sha256=SHA)
    assert (tmp_path / "f").read_bytes() == CONTENT


# --------------------------------------------------------------------------- conversions

def idx_bytes(array):
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) \
        + array.astype(np.uint8).tobytes()


def expect_counts(monkeypatch, train, test):
    """Make get_mnist expect ``train`` and ``test`` images instead of 60,000 and 10,000."""
    for split, n in (("train", train), ("test", test)):
        images, labels, _ = get_mnist.SPLITS[split]
        monkeypatch.setitem(get_mnist.SPLITS, split, (images, labels, n))


def write_small_mnist(folder, monkeypatch, gzipped=True):
    """Four tiny IDX files (6 train, 2 test) and SPLITS patched to expect those counts."""
    expect_counts(monkeypatch, 6, 2)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for images, labels, n in get_mnist.SPLITS.values():
        pixels = rng.integers(0, 256, (n, 28, 28))
        for stem, array in ((images, pixels), (labels, np.arange(n) % 10)):
            data = idx_bytes(array)
            if gzipped:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / stem).write_bytes(data)


@pytest.mark.parametrize("gzipped", [True, False])
def test_get_mnist_converts_files_placed_by_hand(tmp_path, monkeypatch, gzipped):
    monkeypatch.setattr(_download, "urlopen", no_network_expected)
    monkeypatch.setattr(_download, "verify", lambda *a, **k: None)  # our tiny files, not MNIST's
    write_small_mnist(tmp_path / "raw" / "mnist", monkeypatch, gzipped)
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    assert get_mnist.main([]) == 0
    ds = load_dataset("mnist", split="train")
    assert ds.images.shape == (6, 1, 28, 28) and ds.labels.tolist() == [0, 1, 2, 3, 4, 5]


def test_get_fashion_mnist_prefers_the_system_package(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "urlopen", no_network_expected)
    write_small_mnist(tmp_path / "usr-share", monkeypatch)
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    assert get_fashion_mnist.main(["--system-dir", str(tmp_path / "usr-share")]) == 0
    assert load_dataset("fashion-mnist", split="test").images.shape == (2, 1, 28, 28)


def test_get_mnist_rejects_files_of_the_wrong_shape(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_download, "verify", lambda *a, **k: None)
    write_small_mnist(tmp_path / "raw" / "mnist", monkeypatch)
    expect_counts(monkeypatch, 6, 3)
    assert get_mnist.main(["--root", str(tmp_path)]) == 1
    assert "expected (3, 28, 28)" in capsys.readouterr().err


def jpeg_bytes(size, mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, color=128 if mode == "L" else (200, 100, 50)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_get_cyclegan_converts_a_zip(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "horse2zebra.zip", "w") as archive:
        for split, n in [("trainA", 3), ("trainB", 2), ("testA", 1), ("testB", 1)]:
            for i in range(n):
                archive.writestr(f"horse2zebra/{split}/{i}.jpg", jpeg_bytes((256, 256)))
        archive.writestr("horse2zebra/trainB/gray.jpg", jpeg_bytes((300, 256), mode="L"))
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    assert get_cyclegan.main(["horse2zebra", "--zip", str(tmp_path / "horse2zebra.zip")]) == 0
    train_b = load_dataset("horse2zebra", split="trainB")
    assert train_b.images.shape == (3, 3, 64, 64)
    assert abs(int(train_b.images[0, 0].mean()) - 200) <= 3          # red of the RGB ones


def test_get_celeba_splits_by_file_number(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "img_align_celeba.zip", "w") as archive:
        for number in (1, 2, 162771, 182638):
            archive.writestr(f"img_align_celeba/{number:06d}.jpg", jpeg_bytes((178, 218)))
    monkeypatch.setenv("MINIGEN_DATA", str(tmp_path))
    assert get_celeba.main(["--zip", str(tmp_path / "img_align_celeba.zip"), "--size", "8"]) == 0
    assert load_dataset("celeba-8", split="train").images.shape == (2, 3, 8, 8)
    assert len(load_dataset("celeba-8", split="valid")) == 1
    assert len(load_dataset("celeba-8", split="test")) == 1
