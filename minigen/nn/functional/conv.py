"""2-D convolution and transposed convolution: im2col + one matrix product.

Convolution (cross-correlation, as in every deep-learning library):

    y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] * x_pad[n, c, p*s + i*d, q*s + j*d]

**im2col** copies, for every kernel offset (i, j), the input pixels that offset sees into
one row block of a matrix ``cols`` of shape (C*kh*kw, N*Ho*Wo). Then the whole
convolution is ONE matrix product ``W.reshape(O, C*kh*kw) @ cols``, which BLAS (CPU) or
cuBLAS (GPU) runs near the machine's peak.

Layout of ``cols``: (C, kh, kw, N, Ho, Wo). Channels first means groups split it by a
plain reshape, and the product lands as (O, N, Ho, Wo), one transpose from NCHW. On the CPU a
large batch goes through in slices whose columns fit the cache (``CPU_COLUMN_BYTES``).

The three linear maps of a convolution and why they close under differentiation:

* ``Conv2d``:          y  = conv(x, W)
* ``ConvTranspose2d``: x' = conv^T(g, W)     (the adjoint: conv2d's input gradient)
* ``Conv2dGradWeight``: W' = corr(x, g)      (conv2d's weight gradient)

Each one's backward is made of the other two, so derivatives of any order stay fused.
"""
import numpy as np

from ... import backend
from ...ops.shape import cast, getitem, pad
from ...tensor import Function, as_tensor


def _pair(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, tuple, list)):
        raise ValueError(f"{name}={v!r}: expected an int or a pair of ints")
    v = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(v) != 2 or not all(isinstance(n, (int, np.integer)) for n in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return tuple(int(n) for n in v)


def conv_output_size(size, kernel, stride, padding, dilation):
    """floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1, per axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_output_size(size, kernel, stride, padding, dilation, output_padding):
    """(size - 1)*stride - 2*padding + dilation*(kernel-1) + output_padding + 1 (PyTorch's)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


# ----------------------------------------------------------------------------- im2col


def _offset_slice(i, stride, dilation, out_size):
    """The strided slice of the padded input that kernel offset i sees."""
    start = i * dilation
    return slice(start, start + stride * (out_size - 1) + 1, stride)


def im2col_array(x, kernel_size, stride, padding, dilation):
    """x (N, C, H, W) -> cols (C, kh, kw, N, Ho, Wo):
    cols[c, i, j, n, p, q] = x_pad[n, c, p*sh + i*dh, q*sw + j*dw]  (0 in the padding).

    CPU: pad once (with N and C swapped), then one strided copy per kernel offset. The
    plain version it replaces is six nested loops over c, i, j, n, p, q.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    xp = backend.get_array_module(x)
    if xp is not np:
        from ...kernels import im2col
        return im2col(x, kh, kw, sh, sw, ph, pw, dh, dw)
    n, c, h, w = x.shape
    ho, wo = conv_output_size(h, kh, sh, ph, dh), conv_output_size(w, kw, sw, pw, dw)
    x_pad = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    x_pad[:, :, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for i in range(kh):
        rows = _offset_slice(i, sh, dh, ho)
        for j in range(kw):
            cols[:, i, j] = x_pad[:, :, rows, _offset_slice(j, sw, dw, wo)]
    return cols


def im2col_batch_last(x, kernel_size, stride, padding, dilation):
    """im2col (CPU) with the batch axis last: x (N, C, H, W) -> cols (C, kh, kw, Ho, Wo, N),
    cols[c, i, j, p, q, n] = x_pad[n, c, p*sh + i*dh, q*sw + j*dw]. Each strided copy then
    moves runs of N contiguous floats instead of rows of Wo (7 at 7x7), which NumPy copies
    2-4x faster (RESULTS.md)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    ho, wo = conv_output_size(h, kh, sh, ph, dh), conv_output_size(w, kw, sw, pw, dw)
    x_pad = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    x_pad[:, ph:ph + h, pw:pw + w] = x.transpose(1, 2, 3, 0)
    cols = np.empty((c, kh, kw, ho, wo, n), dtype=x.dtype)
    for i in range(kh):
        rows = _offset_slice(i, sh, dh, ho)
        for j in range(kw):
            cols[:, i, j] = x_pad[:, rows, _offset_slice(j, sw, dw, wo)]
    return cols


def col2im_array(cols, x_shape, kernel_size, stride, padding, dilation, out=None):
    """The adjoint of im2col: cols (C, kh, kw, N, Ho, Wo) -> dx (N, C, H, W), where every
    input pixel receives the sum of the columns that copied it. One vectorised add per
    kernel offset (no scatter over single elements).

    CPU: the adds run with the batch axis innermost, (C, kh, kw, Ho, Wo, N) into
    (C, H, W, N). With (N, Ho, Wo) order each strided add would loop over rows of only Wo
    elements (7 at 7x7), which NumPy runs about twice as slowly; one transpose of the
    columns before and one of the result after cost less than that. ``out``: an (N, C, H, W)
    array to write dx into (a batch slice of a larger gradient) instead of a new one."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    xp = backend.get_array_module(cols)
    if xp is not np:
        from ...kernels import col2im
        dx = col2im(cols, x_shape, kh, kw, sh, sw, ph, pw, dh, dw)
        if out is None:
            return dx
        out[...] = dx
        return out
    cols_t = np.ascontiguousarray(cols.transpose(0, 1, 2, 4, 5, 3))  # (C, kh, kw, Ho, Wo, N)
    return col2im_batch_last(cols_t, x_shape, kernel_size, stride, padding, dilation, out)


def col2im_batch_last(cols_t, x_shape, kernel_size, stride, padding, dilation, out=None):
    """col2im (CPU) of columns laid out (C, kh, kw, Ho, Wo, N): one strided add per kernel
    offset into dx_pad (C, H + 2p, W + 2p, N), then dx (N, C, H, W) (into ``out`` if given)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x_shape
    ho, wo = cols_t.shape[3], cols_t.shape[4]
    dx_pad = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols_t.dtype)
    for i in range(kh):
        rows = _offset_slice(i, sh, dh, ho)
        for j in range(kw):
            dx_pad[:, rows, _offset_slice(j, sw, dw, wo)] += cols_t[:, i, j]
    dx = dx_pad[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)
    if out is None:
        return np.ascontiguousarray(dx)
    out[...] = dx
    return out


# ----------------------------------------------------------------------------- the matrix products


class _ConvParams:
    """stride, padding, dilation, groups as pairs; shared by the three Functions."""

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def im2col(self, x, kernel):
        return im2col_array(x, kernel, self.stride, self.padding, self.dilation)

    def col2im(self, cols, x_shape, kernel, out=None):
        return col2im_array(cols, x_shape, kernel, self.stride, self.padding, self.dilation, out)


def _grouped_matmul(a, b):
    """(G, m, k) @ (G, k, n); with one group, a plain 2-D product (one BLAS call)."""
    return (a[0] @ b[0])[None] if a.shape[0] == 1 else a @ b


# The CPU runs a large batch in slices whose column matrix stays in the cache. Whole-batch
# columns at batch 512 are ~100 MB (D's second layer): written once by im2col and read back by
# the GEMM from main memory, they made the step grow 12x for 8x the batch. In slices of ~8 MB
# the copy and the product run from cache and the time grows with the batch (PyTorch's CPU
# convolution works per sample for the same reason). The GPU takes the batch whole.
CPU_COLUMN_BYTES = 8 << 20
# Columns kept from the forward for the weight gradient, per convolution call, at most: larger
# ones (DCGAN's D at batch 512: 100 MB a call, three calls a step) are rebuilt in the backward,
# one cache-sized slice at a time. Keeping them all made the step's peak memory 1.24x
# PyTorch's; rebuilding every sliced one cost 3-7% of the step (RESULTS.md).
CPU_KEPT_COLUMN_BYTES = 32 << 20
CPU_BATCH_LAST_COLUMNS = True
CPU_SHARE_TRANSPOSED_COLUMNS = True


def _batch_slices(n, bytes_per_sample, xp):
    """Equal slices of range(n) whose columns take at most ~CPU_COLUMN_BYTES (CPU); one on the GPU."""
    if n == 0:
        raise ValueError("convolution: the input batch is empty (N = 0); expected at least one sample")
    if xp is not np:
        return [slice(0, n)]
    count = -(-n * bytes_per_sample // CPU_COLUMN_BYTES)  # ceil
    size = -(-n // max(count, 1))
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def _columns_batch_last(xp, k, o):
    """CPU, where the columns have more rows than the output has channels (K > O): im2col
    batch-last, whose copies are 2-4x faster; the output then needs a transpose from (O, Ho, Wo,
    N), which costs more than the faster copy saves where O is the larger (a 1-channel input)."""
    return xp is np and CPU_BATCH_LAST_COLUMNS and k > o


def _column_bytes(x_item, k, ho, wo):
    """Bytes of one sample's columns: K = C*kh*kw rows by Ho*Wo."""
    return x_item * k * ho * wo


def _conv_output_shape(p, x_shape, w_shape):
    """(N, O, Ho, Wo) of conv(x, W) with the geometry p."""
    return (x_shape[0], w_shape[0]) + tuple(conv_output_size(s, k, st, pd, d) for s, k, st, pd, d in
                                            zip(x_shape[2:], w_shape[2:], p.stride, p.padding, p.dilation))


def _conv_forward(p, x, w):
    """y (N, O, Ho, Wo) = W (G, O/G, K/G) @ cols (G, K/G, N*Ho*Wo), K = C*kh*kw, batch slice
    by batch slice. Returns y and the list of the slices' cols (the weight gradient reuses them)."""
    xp = backend.get_array_module(x)
    o, cg, kh, kw = w.shape
    n, _, ho, wo = y_shape = _conv_output_shape(p, x.shape, w.shape)
    y = xp.empty(y_shape, dtype=x.dtype)
    batch_last = _columns_batch_last(xp, x.shape[1] * kh * kw, o)
    cols = []
    for sl in _batch_slices(n, _column_bytes(x.itemsize, x.shape[1] * kh * kw, ho, wo), xp):
        if batch_last:
            cols.append(im2col_batch_last(x[sl], (kh, kw), p.stride, p.padding, p.dilation))
            y[sl] = _columns_times_weight(p, cols[-1], w).transpose(3, 0, 1, 2)
        else:
            cols.append(p.im2col(x[sl], (kh, kw)))
            y[sl] = _columns_times_weight(p, cols[-1], w).transpose(1, 0, 2, 3)
    return y, cols


def _columns_times_weight(p, cols, w):
    """W (G, O/G, K/G) @ cols (G, K/G, n*Ho*Wo): one batch slice's outputs, (O, n, Ho, Wo), or
    (O, Ho, Wo, n) from batch-last columns (C, kh, kw, Ho, Wo, n)."""
    g = p.groups
    o, cg, kh, kw = w.shape
    y = _grouped_matmul(w.reshape(g, o // g, cg * kh * kw), cols.reshape(g, cg * kh * kw, -1))
    return y.reshape((o,) + cols.shape[3:])


# CPU, where the columns have more rows than gy (C*kh*kw > O): form the input gradient's product
# batch-last, the layout col2im's adds want, by transposing gy instead of the larger columns.
# (Where gy is the larger, as in a 1-channel layer, transposing it batch-last costs more.)
CPU_BATCH_LAST_INPUT_GRAD = True


def _conv_input_grad(p, gy, w, x_shape):
    """dx = col2im(W^T @ gy): the adjoint of _conv_forward (or, where cheaper, the flip below),
    batch slice by batch slice."""
    if _flip_is_cheaper(p, w.shape, x_shape, gy.shape):
        return _conv_input_grad_by_flip(p, gy, w)
    xp = backend.get_array_module(gy)
    g = p.groups
    o, cg, kh, kw = w.shape
    n, _, ho, wo = gy.shape
    w_t = w.reshape(g, o // g, cg * kh * kw).transpose(0, 2, 1)
    batch_last = xp is np and CPU_BATCH_LAST_INPUT_GRAD and cg * g * kh * kw > o
    slices = _batch_slices(n, _column_bytes(gy.itemsize, cg * g * kh * kw, ho, wo), xp)
    dx = xp.empty(x_shape, dtype=gy.dtype) if len(slices) > 1 else None  # else col2im's own array
    for sl in slices:
        m, out = sl.stop - sl.start, None if dx is None else dx[sl]
        if batch_last:
            gy_t = np.ascontiguousarray(gy[sl].transpose(1, 2, 3, 0))          # (O, Ho, Wo, m)
            dcols = _grouped_matmul(w_t, gy_t.reshape(g, o // g, ho * wo * m))
            part = col2im_batch_last(dcols.reshape(cg * g, kh, kw, ho, wo, m), (m,) + tuple(x_shape[1:]),
                                     (kh, kw), p.stride, p.padding, p.dilation, out)
        else:
            gy_t = xp.ascontiguousarray(gy[sl].transpose(1, 0, 2, 3))          # (O, m, Ho, Wo)
            dcols = _grouped_matmul(w_t, gy_t.reshape(g, o // g, m * ho * wo))
            part = p.col2im(dcols.reshape(cg * g, kh, kw, m, ho, wo), (m,) + tuple(x_shape[1:]), (kh, kw),
                            out=out)
    return part if dx is None else dx


# How much larger the flip's columns may be than col2im's, measured with
# `python benchmarks/flip_rule.py` (input gradient alone, both alternated; RESULTS.md): with
# col2im batch-last, the flip wins 1.8-7.6x where its columns are 0.13-0.38 of col2im's, is even to
# 15% faster at 1.0 on the larger layers (batch 64), and 1.4-1.7x slower at 1.56 and 2.0.
FLIP_MAX_COLUMN_RATIO = 1.25


def _flip_is_cheaper(p, w_shape, x_shape, y_shape):
    """Stride 1, one group, padding p <= d (k - 1), and columns less than FLIP_MAX_COLUMN_RATIO
    times col2im's: the flip's O*k*k rows over the N*H*W input positions against col2im's C*k*k
    rows over the N*Ho*Wo output positions."""
    o, c, kh, kw = w_shape
    return (p.stride == (1, 1) and p.groups == 1
            and all(pad <= d * (k - 1) for pad, d, k in zip(p.padding, p.dilation, (kh, kw)))
            and o * x_shape[2] * x_shape[3] < FLIP_MAX_COLUMN_RATIO * c * y_shape[2] * y_shape[3])


def _flipped_kernel(w):
    """W (O, C, kh, kw) -> V (C, O, kh, kw), V[c, o, i, j] = W[o, c, kh-1-i, kw-1-j]."""
    xp = backend.get_array_module(w)
    return xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))


def _flipped_params(p, kernel):
    """Stride 1, padding d (k - 1) - p: the geometry of a stride-1 convolution's adjoint."""
    pad = tuple(d * (k - 1) - q for d, k, q in zip(p.dilation, kernel, p.padding))
    return _ConvParams((1, 1), pad, p.dilation, 1)


def _conv_input_grad_by_flip(p, gy, w):
    """With stride 1 the adjoint of a convolution is itself a convolution:

        dx[n, c, h, w] = sum_{o, i, j} gy_pad[n, o, h + d i, w + d j] * W[o, c, k-1-i, k-1-j]

    with gy padded by d (k - 1) - p: a plain conv of gy with the kernel flipped and its two
    channel axes swapped. Its columns have O*kh*kw rows instead of col2im's C*kh*kw: ten times
    fewer for CycleGAN's last 7x7 layer (32 -> 3 channels), and no strided adds."""
    return _conv_forward(_flipped_params(p, w.shape[2:]), gy, _flipped_kernel(w))[0]


# A convolution with few output channels (an image's last layer: 16 -> 3 at 7x7) has im2col
# columns of C*kh*kw rows over the output positions, against O*kh*kw rows over the input
# positions for the same map computed from the output side. Where the latter are smaller by
# FLIP_MAX_COLUMN_RATIO (CPU_OUTPUT_SIDE), the forward and the weight gradient take it too:
CPU_OUTPUT_SIDE = True


def _output_side_is_cheaper(p, w_shape, x_shape, y_shape):
    """CPU, stride 1, one group, padding p <= d (k - 1), and O*H*W columns under C*Ho*Wo /
    FLIP_MAX_COLUMN_RATIO. The mirror image of _flip_is_cheaper: where it holds, the flip
    rule fails for the flipped convolution, so the forward by adjoint takes col2im there."""
    o, c, kh, kw = w_shape
    return (CPU_OUTPUT_SIDE and p.stride == (1, 1) and p.groups == 1
            and all(pad <= d * (k - 1) for pad, d, k in zip(p.padding, p.dilation, (kh, kw)))
            and FLIP_MAX_COLUMN_RATIO * o * x_shape[2] * x_shape[3] < c * y_shape[2] * y_shape[3])


def _conv_forward_by_adjoint(p, x, w, y_shape):
    """y = conv(x, W, p) computed from the output side, as the adjoint (col2im) of the stride-1
    convolution with the flipped kernel (the identity of _conv_input_grad_by_flip, read the
    other way): GEMM (O*kh*kw, C) @ x, then one strided add per kernel offset."""
    return _conv_input_grad(_flipped_params(p, w.shape[2:]), x, _flipped_kernel(w), y_shape)


def _conv_weight_grad_by_flip(p, x, gy, w_shape):
    """dW[o, c, i, j] = Z[c, o, k-1-i, k-1-j] with Z the weight gradient of the flipped
    convolution conv(gy, ., padding d (k - 1) - p) for upstream x: its columns are built from gy
    (O*kh*kw rows over the input positions) instead of from x (C*kh*kw rows over the output's)."""
    o, c, kh, kw = w_shape
    z = _conv_weight_grad(_flipped_params(p, (kh, kw)), gy, x, (c, o, kh, kw))
    return z[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()


def _conv_weight_grad(p, x, gy, w_shape, cols=None):
    """dW = gy @ cols^T, per group: (G, O/G, N*Ho*Wo) @ (G, N*Ho*Wo, K/G), summed over batch
    slices. ``cols``: the forward's list of per-slice columns, or None to build them here."""
    xp = backend.get_array_module(gy)
    if cols is None and xp is np and _output_side_is_cheaper(p, w_shape, x.shape, gy.shape):
        return _conv_weight_grad_by_flip(p, x, gy, w_shape)
    g = p.groups
    o, cg, kh, kw = w_shape
    n, _, ho, wo = gy.shape
    batch_last = _columns_batch_last(xp, cg * g * kh * kw, o)
    if cols is None:
        slices = _batch_slices(n, _column_bytes(x.itemsize, cg * g * kh * kw, ho, wo), xp)
        build = ((lambda s: im2col_batch_last(s, (kh, kw), p.stride, p.padding, p.dilation)) if batch_last
                 else (lambda s: p.im2col(s, (kh, kw))))
        cols = (build(x[sl]) for sl in slices)  # one slice's columns at a time
    dw, start = None, 0
    for c in cols:
        m = c.shape[-1] if batch_last else c.shape[3]
        # gy in the columns' order of positions: (O, Ho, Wo, m) against batch-last columns
        gy_t = xp.ascontiguousarray(gy[start:start + m].transpose((1, 2, 3, 0) if batch_last else (1, 0, 2, 3)))
        part = _grouped_matmul(gy_t.reshape(g, o // g, m * ho * wo),
                               c.reshape(g, cg * kh * kw, m * ho * wo).transpose(0, 2, 1))
        dw, start = (part if dw is None else xp.add(dw, part, out=dw)), start + m
    return dw.reshape(w_shape)


def _with_bias_grad(fn, grads, gy):
    """Append the bias gradient, dy summed over N, H, W, when the op was given a bias;
    then give each gradient its input's dtype."""
    if len(fn.inputs) == 3:
        grads += (gy.sum(axis=(0, 2, 3)) if fn.needs_input_grad[2] else None,)
    return _in_input_dtypes(fn, grads)


def _in_input_dtypes(fn, grads):
    """A gradient has its input's dtype: a float32 weight convolved with a float64 input
    gets a float32 gradient (the products run in the wider dtype, as NumPy promotes)."""
    return tuple(g if g is None or g.dtype == x.dtype else cast(g, x.dtype)
                 for g, x in zip(grads, fn.inputs))


class Conv2d(Function):
    """y = conv(x, W) + b.  Backward: dx = ConvTranspose2d(dy, W) (the adjoint),
    dW = Conv2dGradWeight(x, dy), db = dy summed over N, H, W."""

    def __init__(self, params):
        self.p = params

    def forward(self, x, w, b=None):
        y_shape = _conv_output_shape(self.p, x.shape, w.shape)
        if backend.get_array_module(x) is np and _output_side_is_cheaper(self.p, w.shape, x.shape, y_shape):
            y, cols = _conv_forward_by_adjoint(self.p, x, w, y_shape), []
        else:
            y, cols = _conv_forward(self.p, x, w)
        # Reused by the weight gradient (a cache, not a graph input) unless they are large:
        # then the backward rebuilds them slice by slice (see CPU_KEPT_COLUMN_BYTES).
        self.saved_cols = cols if cols and sum(c.nbytes for c in cols) <= CPU_KEPT_COLUMN_BYTES else None
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        gx = ConvTranspose2d(self.p, x.shape[2:])(gy, w) if need[0] else None
        gw = Conv2dGradWeight(self.p, w.shape, self.saved_cols)(x, gy) if need[1] else None
        return _with_bias_grad(self, (gx, gw), gy)


class ConvTranspose2d(Function):
    """y = conv^T(x, W) + b: the adjoint of Conv2d with the same W (shape (C_in, C_out/g,
    kh, kw) seen from here), i.e. Conv2d's input gradient used as a forward op.
    Backward: dx = Conv2d(dy, W), dW = Conv2dGradWeight(dy, x), db = sum of dy."""

    def __init__(self, params, out_hw):
        self.p, self.out_hw = params, tuple(out_hw)

    def forward(self, x, w, b=None):
        n = x.shape[0]
        c_out = w.shape[1] * self.p.groups
        y = _conv_input_grad(self.p, x, w, (n, c_out) + self.out_hw)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        conv, cols = Conv2d(self.p), None
        gx = conv(gy, w) if need[0] else None
        if need[0] and CPU_SHARE_TRANSPOSED_COLUMNS:
            cols = conv.saved_cols  # im2col(gy): the weight gradient's columns too
        gw = Conv2dGradWeight(self.p, w.shape, cols)(gy, x) if need[1] else None
        return _with_bias_grad(self, (gx, gw), gy)


class Conv2dGradWeight(Function):
    """dW = corr(x, g): the weight gradient of y = conv(x, W) for upstream g. Bilinear in
    (x, g), so its backward is: dx = ConvTranspose2d(g, dW'), dg = Conv2d(x, dW')."""

    def __init__(self, params, w_shape, cols=None):
        self.p, self.w_shape, self.saved_cols = params, tuple(w_shape), cols

    def forward(self, x, g):
        dw = _conv_weight_grad(self.p, x, g, self.w_shape, self.saved_cols)
        self.saved_cols = None  # used once; free it
        return dw

    def backward(self, ggw):
        x, g = self.inputs
        need = self.needs_input_grad
        gx = ConvTranspose2d(self.p, x.shape[2:])(g, ggw) if need[0] else None
        gg = Conv2d(self.p)(x, ggw) if need[1] else None
        return _in_input_dtypes(self, (gx, gg))


# ----------------------------------------------------------------------------- public functions


def _check_conv_args(op, x, weight, bias, groups, transposed):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D weight, got shape {weight.shape}")
    if groups < 1 or x.shape[1] % groups:
        raise ValueError(f"{op}: groups={groups} must divide the input channels ({x.shape[1]} in "
                         f"input shape {x.shape})")
    if transposed:
        if weight.shape[0] != x.shape[1]:
            raise ValueError(f"{op}: weight shape {weight.shape} expects (C_in={x.shape[1]}, "
                             f"C_out/groups, kH, kW) for input shape {x.shape}")
        c_out = weight.shape[1] * groups
    else:
        if weight.shape[1] * groups != x.shape[1] or weight.shape[0] % groups:
            raise ValueError(f"{op}: weight shape {weight.shape} expects (C_out, C_in/groups="
                             f"{x.shape[1] // groups}, kH, kW) for input shape {x.shape} and "
                             f"groups={groups}")
        c_out = weight.shape[0]
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{op}: bias shape {bias.shape} should be ({c_out},)")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (PyTorch's ``F.conv2d``).

    x (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW), bias (C_out,) ->
    y (N, C_out, H_out, W_out) with H_out = floor((H + 2p - d(kH-1) - 1)/s) + 1.
    """
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    stride, padding, dilation = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    _check_conv_args("conv2d", x, weight, bias, groups, transposed=False)
    for axis, name in ((0, "height"), (1, "width")):
        padded = x.shape[2 + axis] + 2 * padding[axis]
        span = dilation[axis] * (weight.shape[2 + axis] - 1) + 1
        if span > padded:
            raise ValueError(f"conv2d: kernel {tuple(weight.shape[2:])} (dilated {name} {span}) is larger "
                             f"than the padded input {name} {padded} (input shape {x.shape}, padding {padding})")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: need stride >= 1, dilation >= 1, padding >= 0; got stride={stride}, "
                         f"dilation={dilation}, padding={padding}")
    fn = Conv2d(_ConvParams(stride, padding, dilation, groups))
    return fn(x, weight) if bias is None else fn(x, weight, bias)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution (PyTorch's ``F.conv_transpose2d``): the adjoint of conv2d.

    x (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW), bias (C_out,) ->
    y (N, C_out, H_out, W_out), H_out = (H-1)s - 2p + d(kH-1) + output_padding + 1.
    ``output_padding`` (< max(stride, dilation)) picks among the input sizes that a stride-s
    conv2d maps to the same H: it adds rows at the bottom/right (rows that the padding would
    otherwise have cropped, or zeros where no input reaches).
    """
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    stride, padding, dilation = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    output_padding = _pair(output_padding, "output_padding")
    _check_conv_args("conv_transpose2d", x, weight, bias, groups, transposed=True)
    for axis in (0, 1):
        if not 0 <= output_padding[axis] < max(stride[axis], dilation[axis]):
            raise ValueError(f"conv_transpose2d: output_padding={output_padding} must be smaller than "
                             f"max(stride, dilation) = {max(stride[axis], dilation[axis])} on each axis "
                             f"(stride={stride}, dilation={dilation})")
    out_hw = tuple(conv_transpose_output_size(x.shape[2 + a], weight.shape[2 + a], stride[a], padding[a],
                                              dilation[a], output_padding[a]) for a in (0, 1))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: the output size {out_hw} would be empty for input shape "
                         f"{x.shape}, weight shape {weight.shape}, padding={padding}")
    if all(op < s for op, s in zip(output_padding, stride)):
        fn = ConvTranspose2d(_ConvParams(stride, padding, dilation, groups), out_hw)
        return fn(x, weight) if bias is None else fn(x, weight, bias)
    return _conv_transpose2d_wide_output_padding(x, weight, bias, stride, padding, output_padding,
                                                 dilation, groups, out_hw)


def _conv_transpose2d_wide_output_padding(x, weight, bias, stride, padding, output_padding, dilation,
                                          groups, out_hw):
    """conv_transpose2d where output_padding >= stride on some axis (legal when dilation > stride).

    ConvTranspose2d computes its output as the adjoint of a conv2d from that output back to x,
    which needs conv_output_size(H_out) == H; with output_padding >= stride the conv would give
    H + floor(output_padding / stride) rows. So, by the scatter definition instead:

        full = conv^T(x, W) with no padding, (H - 1) s + d (kH - 1) + 1 rows on such an axis
        y    = full[p : p + H_out], zero rows past full's end, + b

    (the rows past the end are the output_padding rows that no input reaches). Cropping and
    zero-padding are differentiable ops, so every derivative order still works."""
    wide = tuple(op >= s for op, s in zip(output_padding, stride))
    inner_padding = tuple(0 if w else p for w, p in zip(wide, padding))
    full_hw = tuple(conv_transpose_output_size(x.shape[2 + a], weight.shape[2 + a], stride[a], inner_padding[a],
                                               dilation[a], 0 if wide[a] else output_padding[a]) for a in (0, 1))
    y = ConvTranspose2d(_ConvParams(stride, inner_padding, dilation, groups), full_hw)(x, weight)
    index, extra = [slice(None), slice(None)], [0, 0]
    for a in (0, 1):
        if wide[a]:
            start = min(padding[a], full_hw[a])
            stop = min(padding[a] + out_hw[a], full_hw[a])
            index.append(slice(start, stop))
            extra[a] = out_hw[a] - (stop - start)
        else:
            index.append(slice(None))
    y = pad(getitem(y, tuple(index)), (0, extra[1], 0, extra[0]))
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)
