// Host emulation of the CUDA C that minigen's kernels use, so that a .cu file compiles
// as plain C++ with g++ and its kernels run on the CPU, one emulated thread at a time.
// Used by minigen/kernels/emulation.py (the CPU test suite's CUDA harness); never by the GPU.
//
// What it provides: __global__/__device__/__host__ (empty), dim3/uint3 and the four
// built-in index variables (set by the launcher before each emulated thread), atomicAdd
// and atomicMax (a plain read-modify-write: the threads run one after another), and the
// CUDA spellings of a few math functions. What it refuses: __syncthreads and __shared__
// need the threads of a block to run together, which a one-thread-at-a-time launcher
// cannot do; a kernel that uses them fails to compile here (say so, rather than pass).
#pragma once
#include <cmath>
#include <cstdint>
#include <algorithm>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __syncthreads() static_assert(false, "the CUDA emulator runs one thread at a time and cannot emulate __syncthreads")
#define __shared__ static_assert(false, "the CUDA emulator cannot emulate __shared__ memory");

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

static uint3 threadIdx, blockIdx;
static dim3 blockDim, gridDim;
static const int warpSize = 32;

template <typename T>
static inline T atomicAdd(T* address, T value) { T old = *address; *address = old + value; return old; }
template <typename T>
static inline T atomicMax(T* address, T value) { T old = *address; *address = std::max(old, value); return old; }

static inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
static inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
#define __expf(x) std::exp((float)(x))
#define __logf(x) std::log((float)(x))
#define __fdividef(x, y) ((float)(x) / (float)(y))
using std::min;
using std::max;
