// Batch normalisation over every dimension but the channel of a contiguous [N, C, S] array
// (S = product of the trailing extents), with the CPU backend's arithmetic (core/cpu/CpuBatchNorm):
// statistics in double, merged with Chan et al.'s pairwise update; the elementwise passes use the
// same fused multiply-adds as the CPU kernels.
//
// Channel c's M = N * S elements are cut into chunks of `chunk` elements (element j is
// x[(j / S * C + c) * S + j % S]); block (k, c) of a partial kernel reduces chunk k of channel c
// with blockReduce; a finish kernel (one thread per channel) merges the chunks in order.
// Everything is deterministic.
#include "common.cuh"

__device__ __forceinline__ long long channelElement(long long j, int c, int C, int S) {
    long long run = j / S;
    return (run * C + c) * S + (j - run * S);
}

// Per chunk: its mean and sum of squared deviations (M2), by two passes: a float-rounded
// provisional mean m, then the deviations from it (mean = m + dev / n, M2 = sq - dev^2 / n).
extern "C" __global__ void bn_stats_partial(const float* x, double* partialMean, double* partialM2, int C, int S,
                                            long long M, int chunk) {
    __shared__ double scratch[32];
    int c = blockIdx.y;
    int k = blockIdx.x;
    long long first = (long long) k * chunk;
    long long end = min(M, first + chunk);
    double n = (double) (end - first);
    double sum = 0.0;
    for (long long j = first + threadIdx.x; j < end; j += blockDim.x) sum += x[channelElement(j, c, C, S)];
    sum = blockReduce(sum, AddOp(), scratch);
    float m = (float) (sum / n);
    double dev = 0.0;
    double sq = 0.0;
    for (long long j = first + threadIdx.x; j < end; j += blockDim.x) {
        double d = (double) x[channelElement(j, c, C, S)] - m;
        dev += d;
        sq += d * d;
    }
    dev = blockReduce(dev, AddOp(), scratch);
    sq = blockReduce(sq, AddOp(), scratch);
    if (threadIdx.x == 0) {
        partialMean[(long long) c * gridDim.x + k] = m + dev / n;
        partialM2[(long long) c * gridDim.x + k] = fmax(0.0, sq - dev * dev / n);
    }
}

// Per channel: merges the chunks in order; writes mean, biased variance, invStd = 1/sqrt(var+eps)
// and scale = gamma * invStd (gamma null: ones).
extern "C" __global__ void bn_stats_finish(const double* partialMean, const double* partialM2, int C, int chunks,
                                           long long M, int chunk, const float* gamma, double eps, float* meanOut,
                                           float* varOut, float* invStdOut, float* scaleOut) {
    FOR_EACH(c, C) {
        double n = 0.0;
        double mean = 0.0;
        double m2 = 0.0;
        for (int k = 0; k < chunks; k++) {
            double nb = (double) (min(M, (long long) (k + 1) * chunk) - (long long) k * chunk);
            double delta = partialMean[(long long) c * chunks + k] - mean;
            double total = n + nb;
            mean += delta * nb / total;
            m2 += partialM2[(long long) c * chunks + k] + delta * delta * n * nb / total;
            n = total;
        }
        double var = m2 / n;
        double invStd = 1.0 / sqrt(var + eps);
        float g = gamma != nullptr ? gamma[c] : 1.0f;
        meanOut[c] = (float) mean;
        varOut[c] = (float) var;
        invStdOut[c] = (float) invStd;
        scaleOut[c] = (float) (g * invStd);
    }
}

// Eval mode: scale = gamma / sqrt(runningVar + eps) in double (gamma null: ones).
extern "C" __global__ void bn_eval_scale(const float* runningVar, const float* gamma, double eps, float* scaleOut,
                                         int C) {
    FOR_EACH(c, C) {
        float g = gamma != nullptr ? gamma[c] : 1.0f;
        scaleOut[c] = (float) (g / sqrt((double) runningVar[c] + eps));
    }
}

// y = fma(x - mean[c], scale[c], beta[c]) elementwise (beta null: zeros).
extern "C" __global__ void bn_apply(const float* x, float* y, const float* mean, const float* scale,
                                    const float* beta, int C, int S, long long total) {
    FOR_EACH(e, total) {
        int c = (int) ((e / S) % C);
        float b = beta != nullptr ? beta[c] : 0.0f;
        y[e] = fmaf(x[e] - mean[c], scale[c], b);
    }
}

// Per chunk: sum of gradY and of (x - mean) * gradY, in double.
extern "C" __global__ void bn_backward_partial(const float* gy, const float* x, const float* mean, double* partialG,
                                               double* partialGD, int C, int S, long long M, int chunk) {
    __shared__ double scratch[32];
    int c = blockIdx.y;
    int k = blockIdx.x;
    long long first = (long long) k * chunk;
    long long end = min(M, first + chunk);
    float m = mean[c];
    double sg = 0.0;
    double sgd = 0.0;
    for (long long j = first + threadIdx.x; j < end; j += blockDim.x) {
        long long e = channelElement(j, c, C, S);
        float g = gy[e];
        sg += g;
        sgd += (double) (x[e] - m) * g;
    }
    sg = blockReduce(sg, AddOp(), scratch);
    sgd = blockReduce(sgd, AddOp(), scratch);
    if (threadIdx.x == 0) {
        partialG[(long long) c * gridDim.x + k] = sg;
        partialGD[(long long) c * gridDim.x + k] = sgd;
    }
}

// Per channel: gradBeta = sum(gradY), gradGamma = invStd * sum(gradY (x - mean)), and the
// constants of gradInput = k1 gradY + k2 (x - mean) + k3 (k = [k1 | k2 | k3], 3 C floats).
extern "C" __global__ void bn_backward_finish(const double* partialG, const double* partialGD, int C, int chunks,
                                              long long M, const float* gamma, const float* invStd,
                                              float* gradGamma, float* gradBeta, float* k) {
    FOR_EACH(c, C) {
        double sumG = 0.0;
        double sumGD = 0.0;
        for (int q = 0; q < chunks; q++) {
            sumG += partialG[(long long) c * chunks + q];
            sumGD += partialGD[(long long) c * chunks + q];
        }
        double is = invStd[c];
        double gGamma = is * sumGD;
        double a = (double) (gamma != nullptr ? gamma[c] : 1.0f) * is;
        gradGamma[c] = (float) gGamma;
        gradBeta[c] = (float) sumG;
        k[c] = (float) a;
        k[C + c] = (float) (-a * is * gGamma / (double) M);
        k[2 * C + c] = (float) (-a * sumG / (double) M);
    }
}

// gradInput = fma(x - mean, k2, fma(gradY, k1, k3)), as the CPU kernel.
extern "C" __global__ void bn_backward_apply(const float* gy, const float* x, const float* mean, const float* k,
                                             float* gx, int C, int S, long long total) {
    FOR_EACH(e, total) {
        int c = (int) ((e / S) % C);
        float r = fmaf(gy[e], k[c], k[2 * C + c]);
        gx[e] = fmaf(x[e] - mean[c], k[C + c], r);
    }
}
