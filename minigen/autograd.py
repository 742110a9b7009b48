"""Reverse-mode automatic differentiation: walk the graph from the output back.

Three questions every student asks, answered here:

* **Why a topological order?** A node's gradient is the *sum* over all its consumers.
  Only once every consumer has sent its share may the node pass the total on, and the
  reverse of a topological order guarantees exactly that. The order is found with an
  explicit stack, not recursion, so a chain of 100,000 ops does not hit Python's
  recursion limit.
* **Why do gradients accumulate?** ``y = x * x`` uses ``x`` twice; by the multivariate
  chain rule dy/dx is the sum of both paths. ``leaf.grad`` accumulates across backward
  calls for the same reason, which is why optimizers call ``zero_grad`` each step.
* **Why zeros, not None, for a parameter with a zero derivative?** A leaf that the graph
  reaches (through a Function that recorded it as needing a gradient) gets a gradient even
  when every path to it carries a zero derivative (leaky-ReLU's slope in a gradient
  penalty, say): its derivative is zero, not undefined, and PyTorch gives zeros too. It
  matters to optimizers: Adam moves a parameter whose gradient is zero (momentum) and
  skips one whose gradient is None. Backwards are linear in their incoming gradient, so
  zeros are tracked as a mark and never pushed through a backward. A parameter that did
  not require grad when the forward ran (``frozen``) is not reached and keeps None.
* **What does ``create_graph`` do?** It runs each Function's backward with recording on.
  Backwards are written with Tensor ops, so the gradients come out as ordinary graph
  nodes that can be differentiated again (WGAN-GP needs this).
"""
from . import backend, profiler
from .tensor import Tensor, as_tensor, set_grad_enabled


def _topological_functions(roots):
    """Functions reachable from ``roots``, each after all Functions that consume it."""
    post_order, visited = [], set()
    stack = [(r._creator, False) for r in roots if r._creator is not None]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            post_order.append(fn)
            continue
        if fn in visited:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                f"trying to backward through the graph a second time ({type(fn).__name__}'s "
                "saved tensors were freed after the first backward); pass retain_graph=True "
                "to the first backward if you need to")
        visited.add(fn)
        stack.append((fn, True))
        for x in fn.inputs:
            if x._creator is not None and x._creator not in visited:
                stack.append((x._creator, False))
    post_order.reverse()  # outputs first: every consumer before what it consumes
    return post_order


def _check_versions(fn):
    for i, (x, saved) in enumerate(zip(fn.inputs, fn._saved_versions)):
        if x._version != saved:
            raise RuntimeError(
                f"{type(fn).__name__}: input {i} (shape {x.shape}) was modified in place after "
                f"it was used (version {saved} -> {x._version}), but backward needs its old "
                "value; make a copy before modifying it, or do the update after backward")


def _root_grads(roots, grads):
    out = []
    for i, r in enumerate(roots):
        g = None if grads is None else grads[i]
        if g is None:
            if r.data.size != 1:
                raise RuntimeError(
                    f"grad can be created implicitly only for a scalar output, but output {i} "
                    f"has shape {r.shape}; pass grad= (the upstream gradient, same shape)")
            xp = backend.get_array_module(r.data)
            g = Tensor(xp.ones(r.shape, dtype=r.dtype))
        g = as_tensor(g, like=r)
        if g.shape != r.shape:
            raise ValueError(f"backward: grad has shape {g.shape} but the output has shape {r.shape}")
        out.append(g)
    return out


def _accumulate(a, b):
    return b if a is None else a + b


def run_backward(roots, grads, retain_graph, create_graph, targets=None):
    """The engine behind ``Tensor.backward`` and ``grad``.

    Returns a dict ``id(tensor) -> gradient`` for every leaf reached (or, with
    ``targets``, for the target tensors only, with only the Functions that lead to a
    target being run).
    """
    for r in roots:
        if not r.requires_grad:
            raise RuntimeError("element 0 of the outputs does not require grad and has no "
                               "grad_fn: nothing to differentiate (did you forget "
                               "requires_grad=True, or compute it under no_grad?)")
    root_grads = _root_grads(roots, grads)
    order = _topological_functions(roots)
    target_ids = None if targets is None else {id(t) for t in targets}

    # With targets, run only the Functions from which some target can be reached.
    needed = None
    if target_ids is not None:
        needed = set()
        for fn in reversed(order):  # inputs' Functions come first here
            if any(id(x) in target_ids or x._creator in needed for x in fn.inputs):
                needed.add(fn)

    pending = {}   # Function -> list of gradients, one per output
    results = {}   # id(tensor) -> (tensor, gradient) for leaves / targets
    zero_reached = {}   # id(tensor) -> tensor: leaves / targets reached with a zero derivative
    zero_functions = set()  # Functions whose outputs were reached, all with zero derivative

    def reach_with_zero(x):
        if x._creator is None and not x.requires_grad:
            return
        if (target_ids is None and x._creator is None) or (target_ids is not None and id(x) in target_ids):
            zero_reached[id(x)] = x
        if x._creator is not None:
            zero_functions.add(x._creator)

    def deliver(x, g):
        key = id(x)
        if target_ids is not None and key in target_ids:
            results[key] = (x, _accumulate(results.get(key, (x, None))[1], g))
        if x._creator is not None:
            slot = pending.setdefault(x._creator, [None] * len(x._creator._output_meta))
            slot[x._output_index] = _accumulate(slot[x._output_index], g)
        elif target_ids is None and x.requires_grad:
            results[key] = (x, _accumulate(results.get(key, (x, None))[1], g))

    with set_grad_enabled(create_graph):
        for r, g in zip(roots, root_grads):
            deliver(r, g)
        for fn in order:
            if needed is not None and fn not in needed:
                continue
            recorded_needs = fn.needs_input_grad
            wants = recorded_needs if needed is None else tuple(
                x.requires_grad and (id(x) in target_ids or x._creator in needed) for x in fn.inputs)
            gys = pending.pop(fn, None)
            if gys is None:
                if fn in zero_functions:  # zero in, zero out: pass the mark on
                    for x, want, recorded in zip(fn.inputs, wants, recorded_needs):
                        if want and recorded:
                            reach_with_zero(x)
                continue
            _check_versions(fn)
            for i, g in enumerate(gys):
                if g is None:  # an output nobody used: its gradient is zero
                    shape, dtype = fn._output_meta[i]
                    xp = backend.get_array_module(fn.inputs[0].data)
                    gys[i] = Tensor(xp.zeros(shape, dtype=dtype))
                out = fn._outputs[i]()
                if out is not None and out._retains_grad:
                    out.grad = gys[i] if create_graph else gys[i].detach()
            if needed is not None:  # skip gradients no target needs, for this call only
                fn.needs_input_grad = wants
            prof = profiler.active()
            if prof is not None:
                prof.start()
            try:
                gxs = fn.backward(*gys)
            finally:
                fn.needs_input_grad = recorded_needs
                if prof is not None:
                    prof.stop(type(fn).__name__, "backward")
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx, want, recorded in zip(fn.inputs, gxs, wants, recorded_needs):
                if gx is not None and x.requires_grad and want:
                    if gx.shape != x.shape:
                        raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of "
                                           f"shape {gx.shape} for an input of shape {x.shape}")
                    deliver(x, gx)
                elif want and recorded:  # in the graph, derivative zero
                    reach_with_zero(x)
        for key, x in zero_reached.items():
            if key not in results:
                xp = backend.get_array_module(x.data)
                results[key] = (x, Tensor(xp.zeros(x.shape, dtype=x.dtype)))
    if not retain_graph:
        # Freed only now: a Function whose backward uses its output (exp, tanh) needs that
        # output alive, and it is its consumer that holds it.
        for fn in order:
            fn._release()
    return results


def backward(tensors, grad_tensors=None, retain_graph=False, create_graph=False):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of every leaf they depend on."""
    results = run_backward(list(tensors), grad_tensors, retain_graph, create_graph)
    for x, g in results.values():
        if not create_graph:
            g = g.detach()
        x.grad = g if x.grad is None else x.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return ``(d outputs / d inputs[0], ...)`` as a tuple, without touching ``.grad``.

    PyTorch's semantics: ``grad_outputs`` are the upstream gradients (default: ones for
    scalar outputs); ``retain_graph`` defaults to ``create_graph``; an input the outputs do
    not depend on is an error unless ``allow_unused`` (then its gradient is None).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad, so it has no gradient")
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward(outputs, grad_outputs, retain_graph, create_graph, targets=inputs)
    grads = []
    for i, x in enumerate(inputs):
        g = results.get(id(x), (x, None))[1]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] (shape {x.shape}) was not used to compute the "
                               "outputs; pass allow_unused=True to get None for it")
        if g is not None and not create_graph:
            g = g.detach()
        grads.append(g)
    return tuple(grads)

