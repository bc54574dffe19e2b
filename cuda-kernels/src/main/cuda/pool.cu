// 2-D pooling on contiguous [N, C, H, W] (planes = N * C), PyTorch's rules as in
// core/backend/Pool2dParams and core/reference/PoolRef: floor mode, max pooling pads with
// -infinity and records h * W + w of the first maximum (a NaN wins and propagates), average
// pooling divides by the window clipped to the padded input (countIncludePad) or to the input.
#include "common.cuh"

struct PoolShape {
    int planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw;
};

#define POOL_PARAMS int planes, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw
#define POOL_SHAPE PoolShape{planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw}

extern "C" __global__ void maxpool2d_forward(const float* x, float* y, int* indices, POOL_PARAMS) {
    PoolShape s = POOL_SHAPE;
    long long outputs = (long long) s.planes * s.oh * s.ow;
    FOR_EACH(o, outputs) {
        int j = o % s.ow;
        int i = (o / s.ow) % s.oh;
        long long plane = o / ((long long) s.oh * s.ow);
        int h0 = max(i * s.sh - s.ph, 0);
        int h1 = min(i * s.sh - s.ph + s.kh, s.h);
        int w0 = max(j * s.sw - s.pw, 0);
        int w1 = min(j * s.sw - s.pw + s.kw, s.w);
        const float* xp = x + plane * s.h * s.w;
        float best = -INFINITY;
        int at = h0 * s.w + w0;
        for (int r = h0; r < h1; r++) {
            for (int c = w0; c < w1; c++) {
                float v = xp[r * s.w + c];
                if (v > best || v != v) {
                    best = v;
                    at = r * s.w + c;
                }
            }
        }
        y[o] = best;
        indices[o] = at;
    }
}

// gx (zeroed by the caller) [plane, indices[o]] += gy[o]. Float atomics: where windows overlap
// (stride < window) the additions to one input element happen in no fixed order, so those sums
// are not bit-reproducible; with stride >= window each input element receives at most one
// gradient and the result is exact. Indices outside [0, area) are skipped (maxpool2d_forward
// never produces them).
extern "C" __global__ void maxpool2d_backward(const float* gy, const int* indices, float* gx, int planes, int area,
                                              int outPlane) {
    long long outputs = (long long) planes * outPlane;
    FOR_EACH(o, outputs) {
        int at = indices[o];
        if (at < 0 || at >= area) continue;
        long long plane = o / outPlane;
        atomicAdd(gx + plane * area + at, gy[o]);
    }
}

// The real rows/columns of output (i, j)'s window and its divisor (Pool2dParams.window).
__device__ __forceinline__ int poolWindow(const PoolShape& s, int countIncludePad, int i, int j, int& h0, int& h1,
                                          int& w0, int& w1) {
    h0 = i * s.sh - s.ph;
    w0 = j * s.sw - s.pw;
    h1 = min(h0 + s.kh, s.h + s.ph);
    w1 = min(w0 + s.kw, s.w + s.pw);
    int withPadding = (h1 - h0) * (w1 - w0);
    h0 = max(h0, 0);
    w0 = max(w0, 0);
    h1 = min(h1, s.h);
    w1 = min(w1, s.w);
    return countIncludePad ? withPadding : (h1 - h0) * (w1 - w0);
}

extern "C" __global__ void avgpool2d_forward(const float* x, float* y, int countIncludePad, POOL_PARAMS) {
    PoolShape s = POOL_SHAPE;
    long long outputs = (long long) s.planes * s.oh * s.ow;
    FOR_EACH(o, outputs) {
        int j = o % s.ow;
        int i = (o / s.ow) % s.oh;
        long long plane = o / ((long long) s.oh * s.ow);
        int h0, h1, w0, w1;
        int divisor = poolWindow(s, countIncludePad, i, j, h0, h1, w0, w1);
        const float* xp = x + plane * s.h * s.w;
        double sum = 0.0;
        for (int r = h0; r < h1; r++) {
            for (int c = w0; c < w1; c++) sum += xp[r * s.w + c];
        }
        y[o] = (float) (sum / divisor);
    }
}

// A gather: input element (r, c) sums gy / divisor over the outputs whose window holds it, in
// row-major output order (deterministic, no atomics).
extern "C" __global__ void avgpool2d_backward(const float* gy, float* gx, int countIncludePad, POOL_PARAMS) {
    PoolShape s = POOL_SHAPE;
    long long inputs = (long long) s.planes * s.h * s.w;
    FOR_EACH(e, inputs) {
        int c = e % s.w;
        int r = (e / s.w) % s.h;
        long long plane = e / ((long long) s.h * s.w);
        // Outputs i with i*sh - ph <= r < i*sh - ph + kh.
        int iLo = max(0, (r + s.ph - s.kh + s.sh) / s.sh);
        int iHi = min(s.oh - 1, (r + s.ph) / s.sh);
        int jLo = max(0, (c + s.pw - s.kw + s.sw) / s.sw);
        int jHi = min(s.ow - 1, (c + s.pw) / s.sw);
        const float* gp = gy + plane * s.oh * s.ow;
        float acc = 0.0f;
        for (int i = iLo; i <= iHi; i++) {
            for (int j = jLo; j <= jHi; j++) {
                int h0, h1, w0, w1;
                int divisor = poolWindow(s, countIncludePad, i, j, h0, h1, w0, w1);
                if (r >= h0 && r < h1 && c >= w0 && c < w1) acc += gp[i * s.ow + j] / (float) divisor;
            }
        }
        gx[e] = acc;
    }
}

// y[plane] = mean of the plane, one block per plane, summed in double.
extern "C" __global__ void global_avgpool_forward(const float* x, float* y, int area) {
    __shared__ double scratch[32];
    const float* xp = x + (long long) blockIdx.x * area;
    double acc = 0.0;
    for (int k = threadIdx.x; k < area; k += blockDim.x) acc += xp[k];
    double sum = blockReduce(acc, AddOp(), scratch);
    if (threadIdx.x == 0) y[blockIdx.x] = (float) (sum / area);
}

extern "C" __global__ void global_avgpool_backward(const float* gy, float* gx, int planes, int area) {
    long long n = (long long) planes * area;
    FOR_EACH(e, n) {
        gx[e] = gy[e / area] / (float) area;
    }
}
