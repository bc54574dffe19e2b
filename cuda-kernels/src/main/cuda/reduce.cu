// Reductions over axes (sum, mean, max, min) and argmax, with the CPU backend's semantics
// (core/cpu/CpuReductions, CpuArgmax): sums accumulate in double; NaN wins in max and min;
// argmax keeps the first index on ties and the first NaN.
//
// An input is described by its kept dimensions (whose row-major order is the output's) and its
// reduced dimensions, each with the input's strides. Output o reduces `count` elements, reduced
// index r addressing offsetOf(o, kept) + offsetOf(r, reduced).
//
// Determinism: every partition below depends only on the shapes and launch constants, and every
// combination runs in a fixed order (common.cuh's blockReduce, then partials in split order), so
// a result is the same bits on every run.
#include "common.cuh"

// The order of the Java enum ReduceOp (a CPU test compares them).
enum ReduceCode { R_SUM, R_MEAN, R_MAX, R_MIN };

__device__ __forceinline__ double reduceInit(int op) {
    return (op == R_MAX) ? -INFINITY : (op == R_MIN ? INFINITY : 0.0);
}

__device__ __forceinline__ double reduceStep(int op, double acc, double v) {
    if (op == R_MAX) return javaMax(acc, v);
    if (op == R_MIN) return javaMin(acc, v);
    return acc + v;
}

__device__ __forceinline__ float reduceFinish(int op, double acc, long long count) {
    return (float) (op == R_MEAN ? acc / (double) count : acc);
}

// One thread per output, reducing its elements in index order: for many outputs with few
// elements each (or a reduced dimension that is not the innermost one, where neighbouring
// threads then read neighbouring memory).
extern "C" __global__ void reduce_lines(int op, const float* x, float* out, int outputs, int count, int keptRank,
                                        DIMS(ks), DIMS(kst), int redRank, DIMS(rs), DIMS(rst)) {
    Dims ks = LOAD_DIMS(ks);
    Dims kst = LOAD_DIMS(kst);
    Dims rs = LOAD_DIMS(rs);
    Dims rst = LOAD_DIMS(rst);
    FOR_EACH(o, outputs) {
        const float* base = x + offsetOf(o, keptRank, ks, kst);
        double acc = reduceInit(op);
        for (int r = 0; r < count; r++) {
            acc = reduceStep(op, acc, (double) base[offsetOf((unsigned) r, redRank, rs, rst)]);
        }
        out[o] = reduceFinish(op, acc, count);
    }
}

// Block b reduces output b / splits over its elements [chunk * s, chunk * (s + 1)) with
// s = b % splits: threads take elements blockDim.x apart, then blockReduce. With one split the
// block writes the output; otherwise its partial (in double) for reduce_combine.
extern "C" __global__ void reduce_blocks(int op, const float* x, float* out, double* partials, int splits, int chunk,
                                         int count, int keptRank, DIMS(ks), DIMS(kst), int redRank, DIMS(rs),
                                         DIMS(rst)) {
    __shared__ double scratch[32];
    Dims ks = LOAD_DIMS(ks);
    Dims kst = LOAD_DIMS(kst);
    Dims rs = LOAD_DIMS(rs);
    Dims rst = LOAD_DIMS(rst);
    unsigned o = blockIdx.x / splits;
    unsigned s = blockIdx.x % splits;
    const float* base = x + offsetOf(o, keptRank, ks, kst);
    long long first = (long long) s * chunk;
    long long end = min((long long) count, first + chunk);
    double acc = reduceInit(op);
    for (long long r = first + threadIdx.x; r < end; r += blockDim.x) {
        acc = reduceStep(op, acc, (double) base[offsetOf((unsigned) r, redRank, rs, rst)]);
    }
    double total;
    if (op == R_MAX) {
        total = blockReduce(acc, MaxOp(), scratch);
    } else if (op == R_MIN) {
        total = blockReduce(acc, MinOp(), scratch);
    } else {
        total = blockReduce(acc, AddOp(), scratch);
    }
    if (threadIdx.x == 0) {
        if (splits == 1) {
            out[o] = reduceFinish(op, total, count);
        } else {
            partials[blockIdx.x] = total;
        }
    }
}

// out[o] = the partials of output o combined in split order.
extern "C" __global__ void reduce_combine(int op, const double* partials, float* out, int outputs, int splits,
                                          int count) {
    FOR_EACH(o, outputs) {
        const double* p = partials + (long long) o * splits;
        double acc = p[0];
        for (int s = 1; s < splits; s++) {
            acc = reduceStep(op, acc, p[s]);
        }
        out[o] = reduceFinish(op, acc, count);
    }
}

// int32 index of the largest element along one axis (extent >= 1, `stride` apart), one thread
// per output: a later element replaces the best only when strictly larger or a NaN (while the
// best is not NaN), so the first index wins ties and the first NaN wins.
extern "C" __global__ void argmax_lines(const float* x, int* out, int outputs, int extent, int stride, int keptRank,
                                        DIMS(ks), DIMS(kst)) {
    Dims ks = LOAD_DIMS(ks);
    Dims kst = LOAD_DIMS(kst);
    FOR_EACH(o, outputs) {
        const float* base = x + offsetOf(o, keptRank, ks, kst);
        float best = base[0];
        int at = 0;
        for (int j = 1; j < extent && best == best; j++) {
            float v = base[(long long) j * stride];
            if (v > best || v != v) {
                best = v;
                at = j;
            }
        }
        out[o] = at;
    }
}
