// im2col and col2im: the two data movements behind a 2-D convolution.
// NumPy twins: im2col_array / col2im_array in minigen/nn/functional/conv.py.
//
// x is (N, C, H, W); cols is (C, kh, kw, N, Ho, Wo), both C-contiguous, and
//   cols[c, i, j, n, oh, ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
// (0 where that index falls in the zero padding). With this layout the
// convolution is one matrix product: weight (C_out, C*kh*kw) @ cols (C*kh*kw, N*Ho*Wo).
//
// Shapes and geometry fit in int; flat indices are long long so that tensors
// with more than 2^31 elements still index correctly.

// One thread per element of cols: it reads the one input pixel that element copies.
template <typename T>
__device__ void im2col(const T* x, T* cols, long long size,
                       int N, int C, int H, int W, int Ho, int Wo,
                       int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
    const long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= size) return;

    // Unflatten index = ((((c*kh + i)*kw + j)*N + n)*Ho + oh)*Wo + ow.
    long long rest = index;
    const int ow = rest % Wo;  rest /= Wo;
    const int oh = rest % Ho;  rest /= Ho;
    const int n = rest % N;    rest /= N;
    const int j = rest % kw;   rest /= kw;
    const int i = rest % kh;
    const int c = rest / kh;

    const int h = oh * sh - ph + i * dh;
    const int w = ow * sw - pw + j * dw;
    const bool inside = 0 <= h && h < H && 0 <= w && w < W;
    cols[index] = inside ? x[(((long long)n * C + c) * H + h) * W + w] : T(0);
}

// col2im is the adjoint (transpose) of im2col: each input pixel receives the sum of
// every cols element that copied it. Scattering from cols would need atomicAdd, whose
// order (and so float rounding) changes from run to run; instead one thread per
// element of dx *gathers*: it loops over the kernel offsets (i, j), asks which output
// position (oh, ow) read pixel (h, w) through that offset, and adds that element.
// Each thread sums in a fixed order, so the result is bitwise reproducible.
template <typename T>
__device__ void col2im(const T* cols, T* dx, long long size,
                       int N, int C, int H, int W, int Ho, int Wo,
                       int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
    const long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= size) return;

    // Unflatten index = ((n*C + c)*H + h)*W + w.
    long long rest = index;
    const int w = rest % W;  rest /= W;
    const int h = rest % H;  rest /= H;
    const int c = rest % C;
    const int n = rest / C;

    T sum = T(0);
    for (int i = 0; i < kh; ++i) {
        // Row h is read through offset i by output row oh when oh*sh - ph + i*dh == h.
        const int oh_times_sh = h + ph - i * dh;
        if (oh_times_sh < 0 || oh_times_sh % sh != 0) continue;
        const int oh = oh_times_sh / sh;
        if (oh >= Ho) continue;
        for (int j = 0; j < kw; ++j) {
            const int ow_times_sw = w + pw - j * dw;
            if (ow_times_sw < 0 || ow_times_sw % sw != 0) continue;
            const int ow = ow_times_sw / sw;
            if (ow >= Wo) continue;
            sum += cols[(((((long long)c * kh + i) * kw + j) * N + n) * Ho + oh) * Wo + ow];
        }
    }
    dx[index] = sum;
}

// Unmangled entry points, one per dtype, that the Python loader looks up by name.
#define CONV_ARGS int N, int C, int H, int W, int Ho, int Wo, \
                  int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw
#define CONV_PASS N, C, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, dh, dw

extern "C" __global__ void im2col_f32(const float* x, float* cols, long long size, CONV_ARGS) {
    im2col<float>(x, cols, size, CONV_PASS);
}
extern "C" __global__ void im2col_f64(const double* x, double* cols, long long size, CONV_ARGS) {
    im2col<double>(x, cols, size, CONV_PASS);
}
extern "C" __global__ void col2im_f32(const float* cols, float* dx, long long size, CONV_ARGS) {
    col2im<float>(cols, dx, size, CONV_PASS);
}
extern "C" __global__ void col2im_f64(const double* cols, double* dx, long long size, CONV_ARGS) {
    col2im<double>(cols, dx, size, CONV_PASS);
}
