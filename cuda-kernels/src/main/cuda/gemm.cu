// Batched matrix product C = op(A) x op(B) on strided operands (the layout of the Java side's
// MatmulPlan): element (i, p) of op(A) for batch entry z is at
// A[aOffset(z) + i * aRow + p * aCol], likewise B; C is contiguous [batch, M, N].
#include "gemm_tile.cuh"

struct StridedA {
    const float* a;
    int M, K;
    long long row, col;
    __device__ float operator()(int m, int k) const {
        return (m < M && k < K) ? a[(long long) m * row + (long long) k * col] : 0.0f;
    }
};

struct StridedB {
    const float* b;
    int K, N;
    long long row, col;
    __device__ float operator()(int k, int n) const {
        return (k < K && n < N) ? b[(long long) k * row + (long long) n * col] : 0.0f;
    }
};

// Grid: x = N tiles, y = M tiles, z = batch entries (batch offsets: aOffsets[z] when the table
// is given, else z * aBatch; likewise b). Offsets are in elements from A and B.
extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
gemm_strided(const float* A, const float* B, float* C, int M, int N, int K, long long aRow, long long aCol,
             long long bRow, long long bCol, const long long* aOffsets, const long long* bOffsets, long long aBatch,
             long long bBatch) {
    int z = blockIdx.z;
    long long ao = aOffsets != nullptr ? aOffsets[z] : z * aBatch;
    long long bo = bOffsets != nullptr ? bOffsets[z] : z * bBatch;
    StridedA la{A + ao, M, K, aRow, aCol};
    StridedB lb{B + bo, K, N, bRow, bCol};
    int m0 = blockIdx.y * TILE_M;
    int n0 = blockIdx.x * TILE_N;
    float acc[4][4];
    gemmTile(m0, n0, 0, K, la, lb, acc);
    float* c = C + (long long) z * M * N;
    gemmStore(m0, n0, M, N, acc, [&](int m, int n, float v) { c[(long long) m * N + n] = v; });
}
