// The tiled shared-memory SGEMM core shared by gemm.cu (matmul) and conv.cu (implicit-GEMM
// convolutions): one block of 256 threads computes a 64 x 64 tile of C = A x B, 4 x 4 outputs per
// thread, stepping through K in slices of 16 staged in shared memory.
//
// Operands are reached through loader functors, `float operator()(int m, int k)` for A and
// `float operator()(int k, int n)` for B, which return 0 outside the matrix; so a strided matrix,
// a transposed one or an im2col view of an image (never built in memory) all use the same code.
// Each output accumulates its products in increasing k, one fused multiply-add at a time: the
// order is fixed, so results are the same bits on every run.
#pragma once

#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define GEMM_THREADS 256

// acc[i][j] is C[m0 + ty + 16 i][n0 + tx + 16 j] with ty = threadIdx.x / 16, tx = threadIdx.x % 16.
template <class LoadA, class LoadB>
__device__ __forceinline__ void gemmTile(int m0, int n0, int kBegin, int kEnd, const LoadA& loadA,
                                         const LoadB& loadB, float acc[4][4]) {
    // +1 column against bank conflicts on the transposed stores of A.
    __shared__ float as[TILE_K][TILE_M + 1];
    __shared__ float bs[TILE_K][TILE_N];
    int t = threadIdx.x;
    int ty = t >> 4;
    int tx = t & 15;
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    }
    for (int k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
        // A: k varies fastest across threads (row-major A reads consecutive addresses).
#pragma unroll
        for (int l = 0; l < 4; l++) {
            int idx = t + l * GEMM_THREADS;
            int mm = idx / TILE_K;
            int kk = idx % TILE_K;
            int k = k0 + kk;
            as[kk][mm] = k < kEnd ? loadA(m0 + mm, k) : 0.0f;
        }
        // B: n varies fastest across threads.
#pragma unroll
        for (int l = 0; l < 4; l++) {
            int idx = t + l * GEMM_THREADS;
            int kk = idx / TILE_N;
            int nn = idx % TILE_N;
            int k = k0 + kk;
            bs[kk][nn] = k < kEnd ? loadB(k, n0 + nn) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TILE_K; kk++) {
            float a[4];
            float b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = as[kk][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = bs[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++) {
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
            }
        }
        __syncthreads();
    }
}

// Calls store(m, n, value) for each of this thread's outputs inside the M x N matrix.
template <class Store>
__device__ __forceinline__ void gemmStore(int m0, int n0, int M, int N, const float acc[4][4], const Store& store) {
    int ty = threadIdx.x >> 4;
    int tx = threadIdx.x & 15;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int n = n0 + tx + 16 * j;
            if (n < N) store(m, n, acc[i][j]);
        }
    }
}
