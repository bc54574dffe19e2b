// Gather along an axis (torch.gather), its gradient, and one-hot encoding (core/cpu/CpuIndexing,
// core/reference/IndexingRef). Index and label arrays are contiguous int32. A value outside its
// range is not read or written: the kernel records it in error[0..1] = {1, value} for the host
// to report (several bad values may race; one of them is kept).
#include "common.cuh"

__device__ __forceinline__ void recordError(int* error, int value) {
    if (atomicExch(error, 1) == 0) error[1] = value;
}

// out[i] = x at index i's coordinates with the axis coordinate replaced by index[i]. The index
// shape (rank dims, padded as in common.cuh) is out's; x is read through its strides. The axis
// coordinate of element i is (i / inner) % extentK.
extern "C" __global__ void gather_axis(const unsigned* x, const int* index, unsigned* out, int* error, int n,
                                       int axisExtent, long long axisStride, int extentK, int inner, int rank,
                                       DIMS(shape), DIMS(sx)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sx = LOAD_DIMS(sx);
    FOR_EACH(i, n) {
        int v = index[i];
        if (v < 0 || v >= axisExtent) {
            recordError(error, v);
            out[i] = 0u;
            continue;
        }
        long long coord = (i / (unsigned) inner) % (unsigned) extentK;
        out[i] = x[offsetOf(i, rank, shape, sx) + (v - coord) * axisStride];
    }
}

// The gradient of gather: out (zeroed, contiguous, the input's shape) gets gy[i] added at the
// position gather read for i. One thread per (outer, inner) column of the index adds the column's
// K values in index order. Two columns differ in a coordinate off the axis, so their targets
// differ too: no two threads write one element. Deterministic, no atomics. `so` are out's
// strides over the index shape.
extern "C" __global__ void gather_backward(const float* gy, const int* index, float* out, int* error, int columns,
                                           int axisExtent, long long axisStride, int extentK, int inner, int rank,
                                           DIMS(shape), DIMS(so)) {
    Dims shape = LOAD_DIMS(shape);
    Dims so = LOAD_DIMS(so);
    FOR_EACH(col, columns) {
        unsigned o = col / (unsigned) inner;
        unsigned i = col - o * (unsigned) inner;
        unsigned first = o * (unsigned) extentK * (unsigned) inner + i;
        long long base = offsetOf(first, rank, shape, so); // axis coordinate 0
        for (int k = 0; k < extentK; k++) {
            unsigned e = first + (unsigned) k * (unsigned) inner;
            int v = index[e];
            if (v < 0 || v >= axisExtent) {
                recordError(error, v);
                continue;
            }
            out[base + v * axisStride] += gy[e];
        }
    }
}

// out [outer, classes, inner] = (labels[outer, inner] == class) as float32.
extern "C" __global__ void one_hot(const int* labels, float* out, int* error, long long total, int classes,
                                   int inner) {
    FOR_EACH(e, total) {
        unsigned i = e % (unsigned) inner;
        unsigned rest = e / (unsigned) inner;
        int c = rest % (unsigned) classes;
        unsigned o = rest / (unsigned) classes;
        int label = labels[(long long) o * inner + i];
        if (c == 0 && (label < 0 || label >= classes)) recordError(error, label);
        out[e] = label == c ? 1.0f : 0.0f;
    }
}
