// Leaky ReLU, forward and backward in one kernel (as in Chainer).
// NumPy twins: leaky_relu_array / leaky_relu_grad_array in minigen/ops/elementwise.py.
//
//   out = g            where x > 0
//   out = slope * g    elsewhere
//
// Backward: g = grad_out, giving grad_x = grad_out * f'(x).
// Forward:  g = x itself, since y = x if x > 0 else slope * x is the same selection.
// One thread per element; the arrays are C-contiguous and of the same size.

template <typename T>
__device__ void leaky_relu(const T* x, const T* g, T slope, T* out, long long size) {
    const long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (index >= size) return;
    out[index] = x[index] > T(0) ? g[index] : slope * g[index];
}

extern "C" __global__ void leaky_relu_f32(const float* x, const float* g, float slope,
                                          float* out, long long size) {
    leaky_relu<float>(x, g, slope, out, size);
}
extern "C" __global__ void leaky_relu_f64(const double* x, const double* g, double slope,
                                          double* out, long long size) {
    leaky_relu<double>(x, g, slope, out, size);
}
