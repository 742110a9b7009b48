"""Tensor and Function: the two classes the whole engine is made of.

A ``Tensor`` wraps an array (``numpy.ndarray`` or ``cupy.ndarray``) and remembers the
``Function`` that created it. A ``Function`` has

* ``forward(*arrays) -> array(s)``: plain NumPy/CuPy, fast, never recorded;
* ``backward(*grad_outputs) -> grad_inputs``: written with *Tensor* operations, so when
  the backward pass itself is recorded (``create_graph=True``) it becomes part of a new
  graph and can be differentiated again. That is all higher-order gradients need.

The graph is built as the program runs (define-by-run): calling a Function on tensors
that require gradients links its outputs to it. ``minigen.autograd`` walks that graph
backwards.
"""
import functools
import weakref

import numpy as np

from . import backend

# ----------------------------------------------------------------------------- grad mode


class _GradMode:
    enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager that switches graph recording on or off (PyTorch's name)."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev

    def __call__(self, func):
        """Also a decorator: ``@mg.no_grad()`` runs every call of ``func`` in this mode."""
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):  # a fresh context per call: calls may nest or recurse
                return func(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """``with mg.no_grad():`` runs ops without recording a graph (evaluation, updates);
    ``@mg.no_grad()`` and ``@mg.no_grad`` decorate a function, as in PyTorch."""
    mode = False

    def __new__(cls, func=None):
        if callable(func):  # @mg.no_grad without parentheses
            return set_grad_enabled(cls.mode)(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        super().__init__(type(self).mode)


class enable_grad(no_grad):
    """``with mg.enable_grad():`` records a graph again inside a ``no_grad`` block."""
    mode = True


# ----------------------------------------------------------------------------- dtypes

float32, float64, float16 = np.float32, np.float64, np.float16
int32, int64, bool_ = np.int32, np.int64, np.bool_


def _is_float(dtype):
    return np.issubdtype(dtype, np.floating)


def _as_dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


def _default_array(data, dtype):
    """Convert Python data to an array following the dtype policy of ``tensor``."""
    if backend.device_of(data) == "cuda" or isinstance(data, np.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    if dtype is not None:  # convert straight to the requested dtype (no float32 detour)
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data)
    if arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(np.float32)  # Python floats become float32, as in PyTorch
    return arr


# ----------------------------------------------------------------------------- Tensor


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Attributes: ``data`` (the ndarray), ``grad`` (a Tensor or None), ``requires_grad``,
    ``shape``, ``ndim``, ``dtype``, ``device`` (``"cpu"`` or ``"cuda"``).
    Create tensors with ``minigen.tensor(...)`` or the factory functions.
    """

    __slots__ = ("data", "grad", "requires_grad", "_creator", "_output_index",
                 "_version", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected op

    def __init__(self, data, requires_grad=False):
        self.data = data
        self.grad = None
        self._creator = None
        self._output_index = 0
        self._version = 0
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # --- basic properties -------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def ndim(self):
        return self.data.ndim

    def size(self, dim=None):
        """The shape (PyTorch's ``x.size()``), or the length of one dim: ``x.size(1)``."""
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        """A ``minigen.device``, equal to the string ``"cpu"`` or ``"cuda"``."""
        return backend.device(backend.device_of(self.data))

    @property
    def is_cuda(self):
        return backend.device_of(self.data) == "cuda"

    @property
    def is_leaf(self):
        return self._creator is None

    @property
    def grad_fn(self):
        return self._creator

    def __len__(self):
        return len(self.data)

    def numel(self):
        return int(self.data.size)

    def dim(self):
        return self.data.ndim

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(", threshold=50)
        extras = []
        if self.dtype != np.float32:
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._creator is not None:
            extras.append(f"grad_fn=<{type(self._creator).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # --- conversion -----------------------------------------------------------------
    def numpy(self):
        """A host NumPy array (copied from the GPU if needed; shares memory on the CPU)."""
        return backend.as_numpy(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    # Python's conversions of a one-element tensor, as PyTorch: float(loss), int(n),
    # f"{loss:.3f}", and np.asarray(t) / plt.imshow(t) through __array__.
    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return bool(self.item())

    def __format__(self, spec):
        if self.data.size == 1 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def detach(self):
        """A new Tensor sharing the data, cut off from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not _is_float(self.dtype):
            raise TypeError(f"only floating-point tensors can require gradients; this tensor has "
                            f"dtype {self.dtype} (integer tensors hold indices and labels)")
        if not requires_grad and self._creator is not None:
            raise RuntimeError("requires_grad_(False) is only for leaf tensors; use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        self._retains_grad = True
        return self

    # ``to``, ``cpu``, ``cuda``, ``float``, ``double``, ``long`` and ``astype`` are differentiable
    # ops (casts and device copies): they are attached in minigen/ops/__init__.py with the rest.

    # --- autograd -------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is the upstream gradient (needed unless ``self`` is a scalar); the graph
        is freed afterwards unless ``retain_graph``; ``create_graph`` records the backward
        pass itself so the gradients can be differentiated again.
        """
        from .autograd import backward
        backward([self], None if grad is None else [grad],
                 retain_graph=retain_graph or create_graph, create_graph=create_graph)

    def zero_grad(self):
        self.grad = None

    # --- in-place updates (not recorded; they bump the version counter) -------------
    def _check_inplace(self, op):
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"in-place {op} on a tensor that requires grad would corrupt the graph; "
                "do it inside `with mg.no_grad():` (as optimizers do) or on a .detach()ed copy")

    def _bump(self):
        self._version += 1
        return self

    def _value(self, other):
        return other.data if isinstance(other, Tensor) else other

    def copy_(self, src):
        self._check_inplace("copy_")
        xp = backend.get_array_module(self.data)
        self.data[...] = xp.asarray(self._value(src), dtype=self.dtype)
        return self._bump()

    def fill_(self, value):
        self._check_inplace("fill_")
        self.data.fill(self._value(value))
        return self._bump()

    def zero_(self):
        return self.fill_(0)

    def add_(self, other, alpha=1):
        self._check_inplace("add_")
        other = self._value(other)
        self.data += other if alpha == 1 else alpha * other
        return self._bump()

    def sub_(self, other):
        self._check_inplace("sub_")
        self.data -= self._value(other)
        return self._bump()

    def mul_(self, other):
        self._check_inplace("mul_")
        self.data *= self._value(other)
        return self._bump()

    def div_(self, other):
        self._check_inplace("div_")
        self.data /= self._value(other)
        return self._bump()

    def clamp_(self, min=None, max=None):
        self._check_inplace("clamp_")
        xp = backend.get_array_module(self.data)
        xp.clip(self.data, min, max, out=self.data)
        return self._bump()

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        if isinstance(index, Tensor):
            index = index.data
        self.data[index] = self._value(value)
        self._bump()

    # Operators and methods such as __add__, sum and reshape are attached in
    # minigen/ops/__init__.py, next to the Functions that implement them.


def as_tensor(x, like=None):
    """Wrap ``x`` as a Tensor.

    A Python or NumPy scalar combined with a tensor ``like`` takes ``like``'s dtype when
    that is floating point (so ``x * 0.5`` stays float32) and float32 if the scalar is a
    float and ``like`` is an integer tensor; anything else follows ``tensor``'s policy.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (bool, int, float, np.generic)):
        if _is_float(like.dtype):
            dtype = like.dtype
        elif isinstance(x, (float, np.floating)):
            dtype = np.float32
        else:
            dtype = like.dtype
        xp = backend.get_array_module(like.data)
        return Tensor(xp.asarray(x, dtype=dtype))
    data = _default_array(x, None)
    if like is not None:
        data = backend.to_device(data, like.device)
    return Tensor(data)


# ----------------------------------------------------------------------------- Function


class Function:
    """One differentiable operation.

    Subclasses implement ``forward(self, *arrays)`` returning an array or a tuple of
    arrays, and ``backward(self, *grad_outputs)`` taking and returning *Tensors* (one
    gradient per input, ``None`` where an input needs none). Inside ``backward``:

    * ``self.inputs`` are the input Tensors, ``self.output`` the (first) output Tensor;
    * ``self.needs_input_grad[i]`` says whether input ``i``'s gradient is wanted, so a
      backward can skip work (conv skips its weight gradient when only the input's is
      asked for).

    Every subclass is recorded in ``Function.registry``; the selfcheck and the tests
    use it to make sure no op goes without a finite-difference check.
    """

    registry = {}
    invoked = None  # set to a set() to record which Functions run (coverage checks)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Function.registry[cls.__name__] = cls

    def __call__(self, *inputs):
        inputs = _prepare_inputs(type(self).__name__, inputs)
        if Function.invoked is not None:
            Function.invoked.add(type(self).__name__)
        prof = _profiler_active()
        if prof is not None:
            prof.start()
        ys = self.forward(*[x.data for x in inputs])
        if prof is not None:
            prof.stop(type(self).__name__, "forward")
        single = not isinstance(ys, tuple)
        outputs = [Tensor(y) for y in ((ys,) if single else ys)]
        if _GradMode.enabled and any(x.requires_grad for x in inputs):
            self.inputs = inputs
            self.needs_input_grad = tuple(x.requires_grad for x in inputs)
            self._saved_versions = tuple(x._version for x in inputs)
            self._outputs = [weakref.ref(o) for o in outputs]
            self._output_meta = [(o.shape, o.dtype) for o in outputs]
            for i, o in enumerate(outputs):
                o.requires_grad = True
                o._creator = self
                o._output_index = i
        return outputs[0] if single else tuple(outputs)

    @property
    def output(self):
        out = self._outputs[0]()
        if out is None:
            raise RuntimeError(f"{type(self).__name__}: its output was freed before backward")
        return out

    @property
    def outputs(self):
        return [ref() for ref in self._outputs]

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    def _release(self):
        """Free what backward needed (called after backward unless retain_graph)."""
        self.inputs = None
        for name in [k for k in vars(self) if k.startswith("saved")]:
            setattr(self, name, None)

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _profiler_active():
    from .profiler import _active
    return _active[0]


def _prepare_inputs(op, inputs):
    """Tensors for every input: scalars follow a tensor input's dtype and device."""
    like = next((x for x in inputs if isinstance(x, Tensor)), None)
    tensors = [as_tensor(x, like) for x in inputs]
    if len(tensors) > 1:
        devices = {t.device for t in tensors}
        if len(devices) > 1:
            shown = ", ".join(f"input {i} on '{t.device}'" for i, t in enumerate(tensors))
            raise RuntimeError(f"{op}: expected all inputs on one device, got {shown}; "
                               "move them with .to('cpu') or .to('cuda')")
    return tensors
