// 2-D convolution (cross-correlation, groups = 1) as implicit GEMMs on gemm_tile.cuh: the column
// matrix of an image is never built, its elements are computed by the B loader. Input
// [N, C, H, W], weight [F, C, KH, KW], output [N, F, OH, OW], all contiguous; R = C * KH * KW
// rows (channel, tap), P = OH * OW output positions per image.
//
//   forward:          Y[f, (n, p)]  = sum_r W[f, r] X_col[r, (n, p)]            (+ bias[f])
//   backward data:    dX[c, (n, h, w)] = sum_(f, kh, kw) W[f, c, kh, kw] dY[n, f, oh, ow] over
//                     the taps with h = oh * sH - pH + kh * dH (likewise w): a gather, no atomics
//   backward weights: dW[f, r] = sum_(n, p) dY[n, f, p] X_col[r, (n, p)]; split over (n, p) in
//                     fixed slices whose partial sums conv_sum_splits adds in slice order.
// All three are deterministic.
#include "gemm_tile.cuh"

struct ConvShape {
    int n, c, h, w, f, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw;
};

// X_col[r, (n, p)]: the input pixel under tap r of output position p of image n, 0 in the padding.
__device__ __forceinline__ float im2col(const float* x, const ConvShape& s, int r, int q) {
    int taps = s.kh * s.kw;
    int c = r / taps;
    int t = r - c * taps;
    int ki = t / s.kw;
    int kj = t - ki * s.kw;
    int positions = s.oh * s.ow;
    int n = q / positions;
    int p = q - n * positions;
    int oi = p / s.ow;
    int oj = p - oi * s.ow;
    int hi = oi * s.sh - s.ph + ki * s.dh;
    int wj = oj * s.sw - s.pw + kj * s.dw;
    if (hi < 0 || hi >= s.h || wj < 0 || wj >= s.w) return 0.0f;
    return x[(((long long) n * s.c + c) * s.h + hi) * s.w + wj];
}

#define CONV_PARAMS int n, int c, int h, int w, int f, int kh, int kw, int oh, int ow, int sh, int sw, int ph, \
    int pw, int dh, int dw
#define CONV_SHAPE ConvShape{n, c, h, w, f, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw}

// ---- forward: M = F, N = n * P, K = R

struct WeightRows {
    const float* w;
    int F, R;
    __device__ float operator()(int m, int k) const { return (m < F && k < R) ? w[(long long) m * R + k] : 0.0f; }
};

struct Columns {
    const float* x;
    ConvShape s;
    int R, Q;
    __device__ float operator()(int k, int q) const { return (k < R && q < Q) ? im2col(x, s, k, q) : 0.0f; }
};

// Grid: x = tiles of n * P, y = tiles of F. bias may be null.
extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
conv2d_forward(const float* x, const float* wt, const float* bias, float* y, CONV_PARAMS) {
    ConvShape s = CONV_SHAPE;
    int R = c * kh * kw;
    int P = oh * ow;
    int Q = n * P;
    int m0 = blockIdx.y * TILE_M;
    int n0 = blockIdx.x * TILE_N;
    float acc[4][4];
    gemmTile(m0, n0, 0, R, WeightRows{wt, f, R}, Columns{x, s, R, Q}, acc);
    gemmStore(m0, n0, f, Q, acc, [&](int m, int q, float v) {
        int img = q / P;
        int p = q - img * P;
        y[((long long) img * f + m) * P + p] = bias != nullptr ? v + bias[m] : v;
    });
}

// ---- backward data: M = C, N = n * H * W, K = F * KH * KW

// A[c, (f, kh, kw)] = W[f, c, kh, kw].
struct WeightColumns {
    const float* w;
    int C, K, taps;
    __device__ float operator()(int m, int k) const {
        if (m >= C || k >= K) return 0.0f;
        int fi = k / taps;
        int t = k - fi * taps;
        return w[((long long) fi * C + m) * taps + t];
    }
};

// B[(f, kh, kw), (n, h, w)] = dY[n, f, oh, ow] for the output position whose tap (kh, kw) lies on
// input pixel (h, w), 0 when there is none.
struct GradientTaps {
    const float* gy;
    ConvShape s;
    int K, Q;
    __device__ float operator()(int k, int q) const {
        if (k >= K || q >= Q) return 0.0f;
        int taps = s.kh * s.kw;
        int fi = k / taps;
        int t = k - fi * taps;
        int ki = t / s.kw;
        int kj = t - ki * s.kw;
        int plane = s.h * s.w;
        int img = q / plane;
        int pix = q - img * plane;
        int hi = pix / s.w;
        int wj = pix - hi * s.w;
        int a = hi + s.ph - ki * s.dh;
        int b = wj + s.pw - kj * s.dw;
        if (a < 0 || b < 0) return 0.0f;
        int oi = a / s.sh;
        int oj = b / s.sw;
        if (oi * s.sh != a || oj * s.sw != b || oi >= s.oh || oj >= s.ow) return 0.0f;
        return gy[(((long long) img * s.f + fi) * s.oh + oi) * s.ow + oj];
    }
};

// Grid: x = tiles of n * H * W, y = tiles of C.
extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
conv2d_backward_data(const float* gy, const float* wt, float* dx, CONV_PARAMS) {
    ConvShape s = CONV_SHAPE;
    int taps = kh * kw;
    int K = f * taps;
    int plane = h * w;
    int Q = n * plane;
    int m0 = blockIdx.y * TILE_M;
    int n0 = blockIdx.x * TILE_N;
    float acc[4][4];
    gemmTile(m0, n0, 0, K, WeightColumns{wt, c, K, taps}, GradientTaps{gy, s, K, Q}, acc);
    gemmStore(m0, n0, c, Q, acc, [&](int m, int q, float v) {
        int img = q / plane;
        int pix = q - img * plane;
        dx[((long long) img * c + m) * plane + pix] = v;
    });
}

// ---- backward weights: M = F, N = R, K = n * P (split into slices of kSlice)

// A[f, (n, p)] = dY[n, f, p].
struct GradientRows {
    const float* gy;
    int F, P, K;
    __device__ float operator()(int m, int k) const {
        if (m >= F || k >= K) return 0.0f;
        int img = k / P;
        int p = k - img * P;
        return gy[((long long) img * F + m) * P + p];
    }
};

// B[(n, p), r] = X_col[r, (n, p)].
struct ColumnsTransposed {
    const float* x;
    ConvShape s;
    int K, R;
    __device__ float operator()(int k, int r) const { return (k < K && r < R) ? im2col(x, s, r, k) : 0.0f; }
};

// Grid: x = tiles of R, y = tiles of F, z = slices of n * P of kSlice elements (a multiple of
// TILE_K). Slice z writes out + z * F * R (dW itself when there is one slice).
extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
conv2d_backward_weights(const float* x, const float* gy, float* out, int kSlice, CONV_PARAMS) {
    ConvShape s = CONV_SHAPE;
    int R = c * kh * kw;
    int P = oh * ow;
    int K = n * P;
    int kBegin = blockIdx.z * kSlice;
    int kEnd = min(K, kBegin + kSlice);
    int m0 = blockIdx.y * TILE_M;
    int n0 = blockIdx.x * TILE_N;
    float acc[4][4];
    gemmTile(m0, n0, kBegin, kEnd, GradientRows{gy, f, P, K}, ColumnsTransposed{x, s, K, R}, acc);
    float* dst = out + (long long) blockIdx.z * f * R;
    gemmStore(m0, n0, f, R, acc, [&](int m, int r, float v) { dst[(long long) m * R + r] = v; });
}

// out[e] = sum over slices s of partials[s * size + e], in slice order.
extern "C" __global__ void conv_sum_splits(const float* partials, float* out, int size, int splits) {
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < (unsigned) size; e += gridDim.x * blockDim.x) {
        float acc = partials[e];
        for (int s = 1; s < splits; s++) acc += partials[(long long) s * size + e];
        out[e] = acc;
    }
}
