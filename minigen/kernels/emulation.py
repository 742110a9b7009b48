"""Run minigen's CUDA kernels on the CPU: the harness the CPU test suite checks them with.

No GPU has to be present. Each ``.cu`` file is compiled as plain C++ by g++ with
``emulation.h`` (which defines ``__global__``, ``blockIdx``/``threadIdx``/``blockDim``/
``gridDim``, ``atomicAdd``, ...) and a generated launcher per kernel that runs every
(block, thread) of the grid, one after another, in a chosen order:

    "forward"   block 0 thread 0, block 0 thread 1, ..., the last block's last thread
    "reversed"  the same, backwards
    "shuffled"  a random permutation of all (block, thread) pairs (seeded)

A kernel whose result depends on that order (two threads writing one element, a thread
reading what another writes) gives different results in different orders. The launcher
is called through ``ctypes`` on NumPy arrays, and every launch also checks what a real
launch would silently get wrong:

* each scalar argument must already have the kernel's C type (``np.int32`` for ``int``,
  ``np.int64`` for ``long long``, ``np.float32`` for ``float``): CuPy's RawKernel passes a
  Python int as ``long long`` and a Python float as ``double`` whatever the C signature says;
* each pointer argument must be a C-contiguous array of the pointed-to type (a kernel
  indexes flat memory: a transposed view would be read in the wrong order);
* every array is copied between guard zones of NaN (or 0x7f bytes), each as long as the
  grid has threads (at least 64 elements): a write outside an array by up to that many
  elements (what a missing ``if (index >= size) return;`` does) is reported, and a read
  outside one shows up as NaN in the result.

``FakeCuPy`` stands in for the ``cupy`` module (``DeviceArray`` is a NumPy array that
says it lives on the GPU; ``RawModule`` compiles through this harness; ``empty`` fills
with NaN, so an element no thread writes is visible). With it installed in
``minigen.backend`` and ``minigen.kernels``, the Python that only the GPU runs
(``xp is not np`` branches, the kernel wrappers' launch sizes and dtype dispatch) runs
on the CPU. What this cannot show: timing, warp-level behaviour, NVRTC's own dialect
(``nvcc``/NVRTC compile the same files in tests/test_kernels.py and on a GPU), float
contraction (FMA) differences, and anything about the device's memory. See README.
"""
import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import types
from pathlib import Path

import numpy as np

_DIR = Path(__file__).parent
HEADER = _DIR / "emulation.h"
GUARD = 64  # the least guard zone, in elements, on each side of every array argument

_C_TYPES = {  # C type -> (ctypes type, NumPy type an argument must have)
    "int": (ctypes.c_int, np.int32),
    "unsigned int": (ctypes.c_uint, np.uint32),
    "long long": (ctypes.c_longlong, np.int64),
    "unsigned long long": (ctypes.c_ulonglong, np.uint64),
    "float": (ctypes.c_float, np.float32),
    "double": (ctypes.c_double, np.float64),
}


def compiler():
    """The C++ compiler the harness uses (``$CXX`` or g++), or None."""
    return shutil.which(os.environ.get("CXX", "g++"))


class EmulationError(RuntimeError):
    """The harness could not compile a kernel, or a launch broke one of its checks."""


# --------------------------------------------------------------------------- signatures

def kernel_signatures(code, name="<code>"):
    """{kernel name: [(C type, is_pointer, parameter name), ...]} of every ``extern "C"
    __global__`` function in ``code`` (after the preprocessor, so macros in a parameter
    list, like conv.cu's CONV_ARGS, are expanded)."""
    cxx = compiler()
    if cxx is None:
        raise EmulationError("no C++ compiler (g++) found")
    out = subprocess.run([cxx, "-E", "-P", "-x", "c++", "-"], input=code, capture_output=True, text=True)
    if out.returncode != 0:
        raise EmulationError(f"{name}: the preprocessor failed:\n{out.stderr}")
    found = {}
    for match in re.finditer(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)', out.stdout):
        params = []
        for raw in match.group(2).split(","):
            raw = " ".join(raw.replace("*", " * ").split())
            if not raw or raw == "void":
                continue
            words = raw.split(" ")
            pname, ctype_words = words[-1], [w for w in words[:-1] if w not in ("const", "__restrict__")]
            pointer = "*" in ctype_words
            ctype = " ".join(w for w in ctype_words if w != "*")
            if ctype not in _C_TYPES:
                raise EmulationError(f"{name}: kernel {match.group(1)}: parameter type {raw!r} is not one "
                                     f"the harness knows ({', '.join(_C_TYPES)}, or pointers to them)")
            params.append((ctype, pointer, pname))
        found[match.group(1)] = params
    if not found:
        raise EmulationError(f"{name}: no extern \"C\" __global__ kernels found")
    return found


def _launcher(kernel, params):
    """C++ for ``emu_<kernel>``: run ``kernel`` for each flat thread id in ``order``."""
    decl = "".join(f", {c}{' *' if p else ''} emu_a{i}" for i, (c, p, _) in enumerate(params))
    call = ", ".join(f"emu_a{i}" for i in range(len(params)))
    return f"""
extern "C" void emu_{kernel}(const long long* emu_order, long long emu_count,
        unsigned int emu_bx, unsigned int emu_by, unsigned int emu_bz,
        unsigned int emu_gx, unsigned int emu_gy, unsigned int emu_gz{decl}) {{
    blockDim = dim3{{emu_bx, emu_by, emu_bz}};
    gridDim = dim3{{emu_gx, emu_gy, emu_gz}};
    const long long per_block = (long long)emu_bx * emu_by * emu_bz;
    for (long long k = 0; k < emu_count; ++k) {{
        const long long t = emu_order[k], b = t / per_block, th = t % per_block;
        threadIdx = uint3{{(unsigned int)(th % emu_bx), (unsigned int)((th / emu_bx) % emu_by),
                          (unsigned int)(th / ((long long)emu_bx * emu_by))}};
        blockIdx = uint3{{(unsigned int)(b % emu_gx), (unsigned int)((b / emu_gx) % emu_gy),
                         (unsigned int)(b / ((long long)emu_gx * emu_gy))}};
        {kernel}({call});
    }}
}}
"""


# --------------------------------------------------------------------------- compiling

def _cache_dir():
    folder = Path(tempfile.gettempdir()) / f"minigen-emulated-kernels-{os.getuid() if hasattr(os, 'getuid') else 0}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class EmulatedModule:
    """What ``cupy.RawModule(code=...)`` gives, compiled for the CPU: ``get_function(name)``."""

    def __init__(self, code, name="<code>", options=()):
        self.name = name
        self.signatures = kernel_signatures(code, name)
        wrapper = f'#include "{HEADER}"\n#line 1 "{name}"\n{code}\n' + "".join(
            _launcher(k, p) for k, p in self.signatures.items())
        key = hashlib.sha256((wrapper + HEADER.read_text()).encode()).hexdigest()[:16]
        library = _cache_dir() / f"{re.sub(r'[^A-Za-z0-9_]', '_', Path(name).stem)}-{key}.so"
        if not library.exists():
            source = library.with_suffix(f".{os.getpid()}.cpp")
            source.write_text(wrapper)
            tmp = library.with_suffix(f".{os.getpid()}.tmp.so")
            cmd = [compiler(), "-std=c++17", "-O1", "-ffp-contract=off", "-shared", "-fPIC",
                   "-Wall", "-Wno-unused-function", "-Wno-unused-variable", str(source), "-o", str(tmp)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            source.unlink(missing_ok=True)
            if out.returncode != 0:
                raise EmulationError(f"{name}: g++ could not compile it for emulation:\n{out.stderr}")
            os.replace(tmp, library)
        self.library = ctypes.CDLL(str(library))

    def get_function(self, kernel):
        if kernel not in self.signatures:
            raise EmulationError(f"{self.name}: no kernel named {kernel!r} (it has {', '.join(self.signatures)})")
        return EmulatedKernel(self, kernel)


_order = {"kind": "forward", "seed": 0}


@contextlib.contextmanager
def launch_order(kind, seed=0):
    """Launches inside this block run their threads in ``kind`` order (forward/reversed/shuffled)."""
    if kind not in ("forward", "reversed", "shuffled"):
        raise ValueError(f"launch order {kind!r}: expected forward, reversed or shuffled")
    saved = dict(_order)
    _order.update(kind=kind, seed=seed)
    try:
        yield
    finally:
        _order.update(saved)


def thread_order(total, kind, seed=0):
    """The flat thread ids 0..total-1 in launch order ``kind``."""
    ids = np.arange(total, dtype=np.int64)
    if kind == "reversed":
        return ids[::-1].copy()
    if kind == "shuffled":
        return np.random.default_rng(seed).permutation(ids)
    return ids


def _dims(value, what):
    dims = tuple(int(v) for v in (value if isinstance(value, (tuple, list)) else (value,)))
    if not 1 <= len(dims) <= 3 or min(dims) < 1:
        raise EmulationError(f"{what} {value!r}: expected 1 to 3 positive sizes (a CUDA launch of "
                             "zero blocks or threads is an error)")
    return dims + (1,) * (3 - len(dims))


class EmulatedKernel:
    """``kernel(grid, block, args)`` as with CuPy's RawKernel; ``launch`` takes an order too."""

    def __init__(self, module, name):
        self.module, self.name = module, name
        self.params = module.signatures[name]
        self.function = getattr(module.library, f"emu_{name}")
        self.function.restype = None
        self.launches = []  # (grid, block) of every launch, for tests of the launch sizes

    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        self.launch(grid, block, args, order=_order["kind"], seed=_order["seed"])

    def launch(self, grid, block, args, order="forward", seed=0):
        grid, block = _dims(grid, "grid"), _dims(block, "block")
        if block[0] * block[1] * block[2] > 1024:
            raise EmulationError(f"block {block}: more than 1024 threads per block, which CUDA refuses")
        if len(args) != len(self.params):
            raise EmulationError(f"{self.name}: {len(args)} arguments for {len(self.params)} parameters")
        total = grid[0] * grid[1] * grid[2] * block[0] * block[1] * block[2]
        pad = max(GUARD, total)
        c_args, guarded, buffers = [], [], {}
        for i, (value, (ctype, pointer, pname)) in enumerate(zip(args, self.params)):
            c_type, np_type = _C_TYPES[ctype]
            if pointer:
                key = (value.__array_interface__["data"][0], value.size) if isinstance(value, np.ndarray) else None
                if key not in buffers:  # one array passed twice is one buffer, as on the GPU
                    buffer, inner = self._guarded(value, np_type, pname, pad, tag=i)
                    guarded.append((value, buffer, inner, pname, i))
                    buffers[key] = buffer
                c_args.append(ctypes.c_void_p(buffers[key].ctypes.data + pad * buffers[key].itemsize))
            else:
                if type(value) is not np_type:
                    raise EmulationError(
                        f"{self.name}: argument {pname} is a {type(value).__name__}, but the kernel takes "
                        f"{ctype}; pass {np_type.__name__} (RawKernel would pass a Python int as long "
                        "long and a Python float as double, whatever the C type)")
                c_args.append(c_type(value))
        ids = thread_order(total, order, seed)
        self.launches.append((grid, block))
        self.function(ids.ctypes.data_as(ctypes.c_void_p), ctypes.c_longlong(total),
                      *(ctypes.c_uint(v) for v in block + grid), *c_args)
        for value, buffer, inner, pname, tag in guarded:
            guard = np.concatenate([buffer[:pad], buffer[pad + inner:]]).view(np.uint8)
            if not np.array_equal(guard, self._guard_bytes(buffer.dtype, 2 * pad, tag)):
                raise EmulationError(f"{self.name}: wrote outside array argument {pname} "
                                     f"({inner} elements)")
            value.reshape(-1)[...] = buffer[pad:pad + inner]

    @staticmethod
    def _guard_bytes(dtype, count, tag):
        """``count`` guard elements as bytes: a NaN whose payload names the argument (so a
        value copied from another array's guard, NaN too, still differs), or 0x7f bytes."""
        if dtype.kind != "f":
            return np.full(count * dtype.itemsize, 0x7F, dtype=np.uint8)
        bits = {4: (np.uint32, 0x7FC00000 | 0xBAD00 | tag), 8: (np.uint64, 0x7FF8000000000000 | 0xBAD00 | tag)}
        kind, pattern = bits[dtype.itemsize]
        return np.full(count, pattern, dtype=kind).view(np.uint8)

    def _guarded(self, value, np_type, pname, pad, tag):
        if not isinstance(value, np.ndarray):
            raise EmulationError(f"{self.name}: argument {pname} must be an array, got {type(value).__name__}")
        if value.dtype != np.dtype(np_type):
            raise EmulationError(f"{self.name}: argument {pname} has dtype {value.dtype}, the kernel "
                                 f"takes {np.dtype(np_type).name}*")
        if not value.flags.c_contiguous:
            raise EmulationError(f"{self.name}: argument {pname} is not C-contiguous; a kernel reads "
                                 "flat memory, so it would see the elements in the wrong order")
        buffer = np.empty(value.size + 2 * pad, dtype=value.dtype)
        guard = self._guard_bytes(value.dtype, pad, tag).view(value.dtype)
        buffer[:pad], buffer[pad + value.size:] = guard, guard
        buffer[pad:pad + value.size] = value.reshape(-1)
        return buffer, value.size


# --------------------------------------------------------------------------- a CuPy stand-in

class DeviceArray(np.ndarray):
    """A NumPy array that plays a CuPy array: ``backend.device_of`` says "cuda"."""

    @property
    def device(self):
        return types.SimpleNamespace(id=0)

    def get(self):
        return np.array(self).view(np.ndarray)


def _to_device(value):
    if isinstance(value, np.ndarray) and not isinstance(value, DeviceArray):
        return value.view(DeviceArray)
    if isinstance(value, tuple):
        return tuple(_to_device(v) for v in value)
    if isinstance(value, list):
        return [_to_device(v) for v in value]
    return value


class _FakeUfunc:
    """A NumPy ufunc whose results are ``DeviceArray``s, with its methods (``at``, ``reduce``,
    ...), as CuPy's ufuncs have them: ``cupy.add.at`` is how minigen scatters a gradient."""

    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _to_device(self._ufunc(*args, **kwargs))

    def __getattr__(self, name):
        method = getattr(self._ufunc, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: _to_device(method(*args, **kwargs))


class FakeCuPy(types.ModuleType):
    """Stands in for ``cupy``: NumPy underneath, results as ``DeviceArray``, ``RawModule``
    compiled through the emulation harness, ``empty`` poisoned with NaN."""

    ndarray = DeviceArray

    def __init__(self):
        super().__init__("cupy")
        self.cuda = types.SimpleNamespace(
            Device=lambda i=0: types.SimpleNamespace(id=0, synchronize=lambda: None),
            runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
        self.modules = []  # every RawModule compiled, for tests of launch sizes

    def __getattr__(self, name):
        target = getattr(np, name)
        if not callable(target) or isinstance(target, type):
            return target
        if isinstance(target, np.ufunc):
            return _FakeUfunc(target)

        def call(*args, **kwargs):
            return _to_device(target(*args, **kwargs))
        return call

    @staticmethod
    def asarray(a, dtype=None, order=None):
        if isinstance(a, DeviceArray) and (dtype is None or a.dtype == np.dtype(dtype)):
            return a
        return np.array(a, dtype=dtype, order=order or "K", copy=True).view(DeviceArray)

    @staticmethod
    def array(a, dtype=None, copy=True, order="K", ndmin=0):
        return np.array(a, dtype=dtype, copy=copy, order=order, ndmin=ndmin).view(DeviceArray)

    @staticmethod
    def asnumpy(a):
        return np.array(a).view(np.ndarray)

    @staticmethod
    def empty(shape, dtype=float, order="C"):
        dtype = np.dtype(dtype)
        fill = np.nan if dtype.kind in "fc" else 0
        return np.full(shape, fill, dtype=dtype, order=order).view(DeviceArray)

    @staticmethod
    def empty_like(a, dtype=None):
        return FakeCuPy.empty(a.shape, dtype or a.dtype)

    @staticmethod
    def ascontiguousarray(a, dtype=None):
        return np.ascontiguousarray(a, dtype=dtype).view(DeviceArray)

    def RawModule(self, code=None, options=(), name_expressions=None, path=None):
        module = EmulatedModule(code if code is not None else Path(path).read_text(), options=options,
                                name=_source_name(code))
        self.modules.append(module)
        return module


def _source_name(code):
    """Which minigen/kernels/*.cu ``code`` is (for messages and cache file names)."""
    for path in sorted(_DIR.glob("*.cu")):
        if path.read_text() == code:
            return str(path)
    return "<code>"


@contextlib.contextmanager
def emulated_gpu():
    """Install ``FakeCuPy`` as ``minigen.backend.cupy`` (and the kernels'), so that
    ``device="cuda"`` runs the GPU code paths on the CPU with the emulated kernels."""
    from .. import backend
    from .. import kernels
    fake = FakeCuPy()
    saved = backend.cupy, kernels.cupy
    kernels._module.cache_clear()
    kernels._function.cache_clear()
    backend.cupy = kernels.cupy = fake
    try:
        yield fake
    finally:
        backend.cupy, kernels.cupy = saved
        kernels._module.cache_clear()
        kernels._function.cache_clear()
