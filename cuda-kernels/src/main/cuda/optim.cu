// Optimizer updates over contiguous float32 buffers, PyTorch's rules exactly as the CPU kernels
// apply them (core/cpu/UpdateKernels, core/backend/AdamUpdate and SgdUpdate): the same float32
// operations in the same order, each rounded on its own (the _rn intrinsics keep the compiler
// from contracting a product and a sum into a fused multiply-add), so an element gets the CPU's
// bits. Also the sum of squares (gradient-norm clipping) and scaling in place.
#include "common.cuh"

// p = p * decay (decay != 1); d = g + p * l2 (l2 != 0); m = m * beta1 + d * (1 - beta1);
// v = v * beta2 + (d * (1 - beta2)) * d; p = p + (m * negStepSize) / (sqrt(v) / bc2Sqrt + eps).
extern "C" __global__ void adam_update(float* p, const float* g, float* m, float* v, int n, float decay, float l2,
                                       float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                                       float bc2Sqrt, float eps, float negStepSize) {
    bool decoupled = decay != 1.0f;
    bool coupled = l2 != 0.0f;
    FOR_EACH(i, n) {
        float pv = p[i];
        if (decoupled) pv = __fmul_rn(pv, decay);
        float d = g[i];
        if (coupled) d = __fadd_rn(d, __fmul_rn(pv, l2));
        float mv = __fadd_rn(__fmul_rn(m[i], beta1), __fmul_rn(d, oneMinusBeta1));
        float vv = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(d, oneMinusBeta2), d));
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vv), bc2Sqrt), eps);
        pv = __fadd_rn(pv, __fdiv_rn(__fmul_rn(mv, negStepSize), denom));
        m[i] = mv;
        v[i] = vv;
        p[i] = pv;
    }
}

// d = g + p * wd (wd != 0); with momentum: b = firstStep ? d : b * momentum + d * (1 - dampening),
// d = nesterov ? d + b * momentum : b; then p = p + d * negLr. b is untouched (may be null)
// without momentum.
extern "C" __global__ void sgd_update(float* p, const float* g, float* b, int n, float negLr, float wd,
                                      float momentum, float oneMinusDampening, int nesterov, int firstStep) {
    bool decay = wd != 0.0f;
    bool useMomentum = momentum != 0.0f;
    FOR_EACH(i, n) {
        float pv = p[i];
        float d = g[i];
        if (decay) d = __fadd_rn(d, __fmul_rn(pv, wd));
        if (useMomentum) {
            float bv = firstStep ? d : __fadd_rn(__fmul_rn(b[i], momentum), __fmul_rn(d, oneMinusDampening));
            b[i] = bv;
            d = nesterov ? __fadd_rn(d, __fmul_rn(bv, momentum)) : bv;
        }
        p[i] = __fadd_rn(pv, __fmul_rn(d, negLr));
    }
}

// Block k: the sum of squares (in double; each square of a float is exact) of elements
// [k * chunk, (k + 1) * chunk), into partials[k].
extern "C" __global__ void sum_squares_blocks(const float* x, long long n, int chunk, double* partials) {
    __shared__ double scratch[32];
    long long first = (long long) blockIdx.x * chunk;
    long long end = min(n, first + chunk);
    double acc = 0.0;
    for (long long i = first + threadIdx.x; i < end; i += blockDim.x) {
        double v = x[i];
        acc += v * v;
    }
    double total = blockReduce(acc, AddOp(), scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

// result[0] = the partials added in order (one thread).
extern "C" __global__ void sum_partials(const double* partials, int count, double* result) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        double s = 0.0;
        for (int k = 0; k < count; k++) s += partials[k];
        result[0] = s;
    }
}

extern "C" __global__ void scale_inplace(float* x, int n, float factor) {
    FOR_EACH(i, n) {
        x[i] = __fmul_rn(x[i], factor);
    }
}
