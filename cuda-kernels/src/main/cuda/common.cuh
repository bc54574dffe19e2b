// Shared helpers of the kernel files: strided layouts passed as plain int parameters, Java's
// NaN-propagating max/min, and block-wide deterministic reductions.
//
// Layouts. The driver launches kernels with one pointer per parameter (KernelArgs on the Java
// side marshals ints, longs, floats, doubles and pointers), so a shape or strides travel as
// MAX_RANK separate int parameters, declared with DIMS(name) and gathered into a Dims value with
// LOAD_DIMS(name). The Java side collapses layouts to at most MAX_RANK dimensions and pads the
// unused leading ones with extent 1 and stride 0. Element offsets are computed in 64 bits.
#pragma once

#include <stdint.h>

#define MAX_RANK 8

#define DIMS(n) int n##0, int n##1, int n##2, int n##3, int n##4, int n##5, int n##6, int n##7
#define LOAD_DIMS(n) Dims{{n##0, n##1, n##2, n##3, n##4, n##5, n##6, n##7}}

struct Dims {
    int d[MAX_RANK];
};

// Element offset of row-major index i of `shape` in an operand with `strides`. Only the last
// `rank` dimensions are used (the leading ones are padding). Arrays hold fewer than 2^31
// elements, so the index arithmetic is 32-bit; offsets are 64-bit.
__device__ __forceinline__ long long offsetOf(unsigned i, int rank, const Dims& shape, const Dims& strides) {
    long long off = 0;
#pragma unroll
    for (int k = MAX_RANK - 1; k >= 0; k--) {
        if (k < MAX_RANK - rank) break;
        unsigned e = (unsigned) shape.d[k];
        unsigned q = i / e;
        off += (long long) (i - q * e) * strides.d[k];
        i = q;
    }
    return off;
}

// Offsets of row-major index i in two operands at once (one division chain).
__device__ __forceinline__ void offsetsOf(unsigned i, int rank, const Dims& shape, const Dims& sa, const Dims& sb,
                                          long long& oa, long long& ob) {
    oa = 0;
    ob = 0;
#pragma unroll
    for (int k = MAX_RANK - 1; k >= 0; k--) {
        if (k < MAX_RANK - rank) break;
        unsigned e = (unsigned) shape.d[k];
        unsigned q = i / e;
        unsigned r = i - q * e;
        oa += (long long) r * sa.d[k];
        ob += (long long) r * sb.d[k];
        i = q;
    }
}

// Grid-stride loop over [0, n), n < 2^31; the index is an unsigned int (it cannot overflow before
// the test fails, since n + gridDim.x * blockDim.x < 2^32).
#define FOR_EACH(i, n) \
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < (unsigned) (n); i += gridDim.x * blockDim.x)

// Java's Math.max / Math.min on floats and doubles: NaN wins, and -0.0 < +0.0.
template <class T>
__device__ __forceinline__ T javaMax(T a, T b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}

template <class T>
__device__ __forceinline__ T javaMin(T a, T b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == b) return signbit(a) ? a : b;
    return a < b ? a : b;
}

// Block-wide reductions with a fixed order: each warp folds with a butterfly of shuffles, then
// warp 0 folds the warps' results. Every thread of the block must call them; the result is
// returned to all threads. `scratch` holds at least 32 values; blockDim.x is a multiple of 32.
template <class T, class Op>
__device__ T blockReduce(T v, Op op, T* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
#pragma unroll
    for (int s = 16; s > 0; s >>= 1) {
        v = op(v, __shfl_xor_sync(0xffffffffu, v, s));
    }
    __syncthreads(); // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = scratch[0];
        for (int k = 1; k < warps; k++) w = op(w, scratch[k]);
        if (lane == 0) scratch[0] = w;
    }
    __syncthreads();
    return scratch[0];
}

struct AddOp {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};

struct MaxOp {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return javaMax(a, b); }
};

struct MinOp {
    template <class T>
    __device__ __forceinline__ T operator()(T a, T b) const { return javaMin(a, b); }
};
