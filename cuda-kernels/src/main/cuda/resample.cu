// Nearest and bilinear resizing of contiguous [N, C, H, W] planes, forward and backward, with
// PyTorch's CPU index arithmetic (core/backend/Resize, core/cpu/CpuResample,
// core/reference/ResampleRef). The ratio of each axis arrives from the host already rounded to
// float32 the way PyTorch computes it; tap positions are then computed in float32 with explicitly
// rounded operations (no contraction into fused multiply-adds), so they are the CPU's taps.
#include "common.cuh"

// The source taps of output coordinate d along an axis of `in` -> `out` pixels: pixels i0, i1
// with weights w0, w1 (nearest: i1 = i0, w1 = 0).
struct Tap {
    int i0, i1;
    float w0, w1;
};

__device__ __forceinline__ Tap tapOf(int d, int in, int out, float ratio, int nearest, int alignCorners) {
    if (out == in) return Tap{d, d, 1.0f, 0.0f};
    if (nearest) {
        int i = (out == 2 * in) ? (d >> 1) : min((int) floorf(__fmul_rn((float) d, ratio)), in - 1);
        return Tap{i, i, 1.0f, 0.0f};
    }
    float src = alignCorners ? __fmul_rn(ratio, (float) d)
                             : fmaxf(__fsub_rn(__fmul_rn(ratio, __fadd_rn((float) d, 0.5f)), 0.5f), 0.0f);
    int k = min((int) floorf(src), in - 1);
    float lambda = fminf(fmaxf(__fsub_rn(src, (float) k), 0.0f), 1.0f);
    return Tap{k, k < in - 1 ? k + 1 : k, __fsub_rn(1.0f, lambda), lambda};
}

// The weight with which output coordinate d reads input pixel i (0 when it does not).
__device__ __forceinline__ float weightOf(const Tap& t, int i, int nearest) {
    if (nearest) return t.i0 == i ? 1.0f : 0.0f;
    return (t.i0 == i ? t.w0 : 0.0f) + (t.i1 == i ? t.w1 : 0.0f);
}

// First output coordinate whose tap i0 is >= target (taps are non-decreasing in d).
__device__ __forceinline__ int firstAtLeast(int target, int in, int out, float ratio, int nearest, int align) {
    int lo = 0;
    int hi = out;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (tapOf(mid, in, out, ratio, nearest, align).i0 >= target) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

#define RESIZE_PARAMS int planes, int h, int w, int oh, int ow, float ratioH, float ratioW, int nearest, \
    int alignCorners

extern "C" __global__ void resize_forward(const float* x, float* y, RESIZE_PARAMS) {
    long long outputs = (long long) planes * oh * ow;
    FOR_EACH(o, outputs) {
        int j = o % ow;
        int i = (o / ow) % oh;
        long long plane = o / ((long long) oh * ow);
        const float* xp = x + plane * h * w;
        Tap ty = tapOf(i, h, oh, ratioH, nearest, alignCorners);
        Tap tx = tapOf(j, w, ow, ratioW, nearest, alignCorners);
        if (nearest) {
            y[o] = xp[ty.i0 * w + tx.i0];
        } else {
            float top = xp[ty.i0 * w + tx.i0] * tx.w0 + xp[ty.i0 * w + tx.i1] * tx.w1;
            float bottom = xp[ty.i1 * w + tx.i0] * tx.w0 + xp[ty.i1 * w + tx.i1] * tx.w1;
            y[o] = top * ty.w0 + bottom * ty.w1;
        }
    }
}

// A gather: input pixel (r, c) sums wy * wx * gy over the outputs that read it, found by binary
// search on the non-decreasing taps (outputs whose i0 is r - 1 or r). Deterministic, no atomics.
extern "C" __global__ void resize_backward(const float* gy, float* gx, RESIZE_PARAMS) {
    long long inputs = (long long) planes * h * w;
    FOR_EACH(e, inputs) {
        int c = e % w;
        int r = (e / w) % h;
        long long plane = e / ((long long) h * w);
        const float* gp = gy + plane * oh * ow;
        int i0 = firstAtLeast(r - 1, h, oh, ratioH, nearest, alignCorners);
        int i1 = firstAtLeast(r + 1, h, oh, ratioH, nearest, alignCorners);
        int j0 = firstAtLeast(c - 1, w, ow, ratioW, nearest, alignCorners);
        int j1 = firstAtLeast(c + 1, w, ow, ratioW, nearest, alignCorners);
        float acc = 0.0f;
        for (int i = i0; i < i1; i++) {
            float wy = weightOf(tapOf(i, h, oh, ratioH, nearest, alignCorners), r, nearest);
            if (wy == 0.0f) continue;
            float row = 0.0f;
            for (int j = j0; j < j1; j++) {
                float wx = weightOf(tapOf(j, w, ow, ratioW, nearest, alignCorners), c, nearest);
                row += wx * gp[i * ow + j];
            }
            acc += wy * row;
        }
        gx[e] = acc;
    }
}
