// Softmax and log-softmax along one axis, forward and backward (core/reference/SoftmaxRef). A
// contiguous array is [outer, K, inner] around the axis; one thread handles one line of K values
// (inner apart), so for the usual axis 1 of [N, C, H, W] neighbouring threads read neighbouring
// pixels. Sums over a line accumulate in double, in class order.
#include "common.cuh"

// line l = (o, i): its first element is o * K * inner + i.
__device__ __forceinline__ long long lineStart(unsigned l, int k, int inner) {
    unsigned o = l / (unsigned) inner;
    return (long long) o * k * inner + (l - o * (unsigned) inner);
}

// y = exp(x - max) / sum exp(x - max) (logSoftmax: y = (x - max) - log(sum exp(x - max))).
extern "C" __global__ void softmax_forward(const float* x, float* y, int logMode, long long lines, int k, int inner) {
    FOR_EACH(l, lines) {
        long long s = lineStart(l, k, inner);
        float m = -INFINITY;
        for (int j = 0; j < k; j++) m = javaMax(m, x[s + (long long) j * inner]);
        double sum = 0.0;
        for (int j = 0; j < k; j++) sum += expf(x[s + (long long) j * inner] - m);
        if (logMode) {
            float logSum = (float) log(sum);
            for (int j = 0; j < k; j++) {
                long long e = s + (long long) j * inner;
                y[e] = (x[e] - m) - logSum;
            }
        } else {
            float total = (float) sum;
            for (int j = 0; j < k; j++) {
                long long e = s + (long long) j * inner;
                y[e] = expf(x[e] - m) / total;
            }
        }
    }
}

// softmax: dx = y (g - sum g y); logSoftmax: dx = g - exp(y) sum g.
extern "C" __global__ void softmax_backward(const float* y, const float* g, float* dx, int logMode, long long lines,
                                            int k, int inner) {
    FOR_EACH(l, lines) {
        long long s = lineStart(l, k, inner);
        double acc = 0.0;
        for (int j = 0; j < k; j++) {
            long long e = s + (long long) j * inner;
            acc += logMode ? (double) g[e] : (double) g[e] * y[e];
        }
        float total = (float) acc;
        for (int j = 0; j < k; j++) {
            long long e = s + (long long) j * inner;
            dx[e] = logMode ? g[e] - expf(y[e]) * total : y[e] * (g[e] - total);
        }
    }
}
