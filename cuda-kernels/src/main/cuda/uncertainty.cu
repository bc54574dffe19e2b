// The fused Dice-agreement / AULA kernel (METHOD.md section 5; the GPU twin of
// src/.../uncertainty/FusedUncertainty, whose definitions it follows): one pass over the kept
// heads' probabilities, T heads of contiguous [N, C, HW] float32, computing per pixel the mean
// probability, the label map, entropy, mutual information, hard-label and soft variance, and per
// block of pixels the partial sums and counts that make the image-level results.
//
// Work: block (b, n) takes pixels [b * BLOCK_PIXELS, (b + 1) * BLOCK_PIXELS) of image n; thread t
// takes pixels base + t + j * blockDim.x (a warp reads 32 neighbouring pixels). Per-pixel
// arithmetic is double precision in the CPU kernel's order (products and sums rounded one by one;
// CUDA's log differs from Java's Math.log by at most an ulp or so).
//
// Partial record of a block (doubles; integer counts are exact), also the layout of the per-group
// record that agreement_combine writes (see CudaLayerAgreement.java for the meaning):
//   REC_PIXELS, REC_SUM + m, REC_MIN + m, REC_MAX + m, REC_SHIFT + m, REC_SHIFTED + m (m = 0
//   entropy, 1 MI, 2 hard variance), REC_NLL, REC_BRIER, REC_BIN_CONF + b (15 bins), then the
//   integer fields from REC_INT: agreeInter[T-1], agreeSize[T-1], classInter[(T-1) C],
//   classSize[(T-1) C], diceInter, diceSize, classDiceInter[C], classDiceSize[C], binCount[15],
//   binCorrect[15].
// Integer counts come from warp ballots: lane 0 of each warp adds them into the warp's own slots
// in shared memory (no atomics at all); at the end a block adds its warps' slots in warp order.
// Double sums are per-thread registers folded with blockReduce. All orders are fixed: the results
// are the same bits on every run.
#include "common.cuh"

#define MAX_HEADS 32
#define MAX_CLASSES 16
#define BINS 15
#define BLOCK_PIXELS 2048

#define REC_PIXELS 0
#define REC_SUM 1
#define REC_MIN 4
#define REC_MAX 7
#define REC_SHIFT 10
#define REC_SHIFTED 13
#define REC_NLL 16
#define REC_BRIER 17
#define REC_BIN_CONF 18
#define REC_INT (REC_BIN_CONF + BINS)

#define HEAD_PARAMS(p) const float *p##0, const float *p##1, const float *p##2, const float *p##3, \
    const float *p##4, const float *p##5, const float *p##6, const float *p##7, const float *p##8, \
    const float *p##9, const float *p##10, const float *p##11, const float *p##12, const float *p##13, \
    const float *p##14, const float *p##15, const float *p##16, const float *p##17, const float *p##18, \
    const float *p##19, const float *p##20, const float *p##21, const float *p##22, const float *p##23, \
    const float *p##24, const float *p##25, const float *p##26, const float *p##27, const float *p##28, \
    const float *p##29, const float *p##30, const float *p##31
#define HEAD_ARRAY(p) {p##0, p##1, p##2, p##3, p##4, p##5, p##6, p##7, p##8, p##9, p##10, p##11, p##12, \
    p##13, p##14, p##15, p##16, p##17, p##18, p##19, p##20, p##21, p##22, p##23, p##24, p##25, p##26, p##27, \
    p##28, p##29, p##30, p##31}

// Offsets of the integer fields, relative to REC_INT, for T heads and C classes.
struct IntFields {
    int agreeInter, agreeSize, classInter, classSize, diceInter, diceSize, classDiceInter, classDiceSize,
        binCount, binCorrect, count;
    __device__ IntFields(int t, int c) {
        int pairs = t - 1;
        agreeInter = 0;
        agreeSize = agreeInter + pairs;
        classInter = agreeSize + pairs;
        classSize = classInter + pairs * c;
        diceInter = classSize + pairs * c;
        diceSize = diceInter + 1;
        classDiceInter = diceSize + 1;
        classDiceSize = classDiceInter + c;
        binCount = classDiceSize + c;
        binCorrect = binCount + BINS;
        count = binCorrect + BINS;
    }
};

// Number of lanes of this warp for which `pred` holds (all lanes must call it).
__device__ __forceinline__ unsigned votes(bool pred) {
    return __popc(__ballot_sync(0xffffffffu, pred));
}

__device__ __forceinline__ double mulSub(double acc, double a, double b) {
    return __dsub_rn(acc, __dmul_rn(a, b));
}

// Grid: x = blocks per image (ceil(HW / BLOCK_PIXELS)), y = images. blockDim.x = 256. Dynamic
// shared memory: (blockDim.x / 32) * fields.count unsigned ints. truth may be null (then the
// ground-truth fields stay 0). error[0..1] = {1, label} for a truth label outside [0, C).
extern "C" __global__ void __launch_bounds__(256)
agreement_blocks(HEAD_PARAMS(h), int t, int c, int hw, const int* truth, double eps, float* meanOut, int* labelOut,
                 float* entropyOut, float* miOut, float* varianceOut, float* softOut, double* records, int recordSize,
                 int* error) {
    extern __shared__ unsigned warpCounts[];
    __shared__ double scratch[32];
    __shared__ double blockShift[3];
    const float* heads[MAX_HEADS] = HEAD_ARRAY(h);
    IntFields f(t, c);
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
    unsigned* mine = warpCounts + warp * f.count;
    for (int k = threadIdx.x; k < warps * f.count; k += blockDim.x) warpCounts[k] = 0u;
    __syncthreads();

    bool multi = c > 2;
    int img = blockIdx.y;
    int base = blockIdx.x * BLOCK_PIXELS;
    long long planeBase = (long long) img * c * hw;
    long long mapBase = (long long) img * hw;

    double mapSum[3] = {0.0, 0.0, 0.0};
    double mapMin[3] = {INFINITY, INFINITY, INFINITY};
    double mapMax[3] = {-INFINITY, -INFINITY, -INFINITY};
    double shift[3] = {0.0, 0.0, 0.0};
    double shifted[3] = {0.0, 0.0, 0.0};
    double pixels = 0.0;
    double nll = 0.0;
    double brier = 0.0;
    double binConf[BINS];
    for (int b = 0; b < BINS; b++) binConf[b] = 0.0;

    for (int j = 0; j < BLOCK_PIXELS / (int) blockDim.x; j++) {
        int x = base + j * blockDim.x + threadIdx.x;
        bool active = x < hw;
        double sum[MAX_CLASSES];
        double sq[MAX_CLASSES];
        int voteCount[MAX_CLASSES];
        for (int cls = 0; cls < c; cls++) {
            sum[cls] = 0.0;
            sq[cls] = 0.0;
            voteCount[cls] = 0;
        }
        double headEnt = 0.0;
        int prev = 0;
        for (int k = 0; k < t; k++) {
            int cur = 0;
            if (active) {
                const float* hp = heads[k] + planeBase + x;
                float best = 0.0f;
                for (int cls = 0; cls < c; cls++) {
                    float pf = hp[(long long) cls * hw];
                    double p = pf;
                    sum[cls] = __dadd_rn(sum[cls], p);
                    sq[cls] = __dadd_rn(sq[cls], __dmul_rn(p, p));
                    headEnt = mulSub(headEnt, p, log(__dadd_rn(p, eps)));
                    if (cls == 0 || pf > best) {
                        best = pf;
                        cur = cls;
                    }
                }
                voteCount[cur]++;
            }
            if (k > 0) {
                // Adjacent heads k - 1 (prev) and k (cur): combined foreground, then per class.
                unsigned inter = votes(active && prev > 0 && cur > 0);
                unsigned size = votes(active && prev > 0) + votes(active && cur > 0);
                if (lane == 0) {
                    mine[f.agreeInter + k - 1] += inter;
                    mine[f.agreeSize + k - 1] += size;
                }
                if (multi) {
                    for (int cls = 0; cls < c; cls++) {
                        unsigned ci = votes(active && prev == cls && cur == cls);
                        unsigned cs = votes(active && prev == cls) + votes(active && cur == cls);
                        if (lane == 0) {
                            mine[f.classInter + (k - 1) * c + cls] += ci;
                            mine[f.classSize + (k - 1) * c + cls] += cs;
                        }
                    }
                }
            }
            prev = cur;
        }

        int label = 0;
        int g = 0;
        double bestMean = 0.0;
        if (active) {
            long long px = mapBase + x;
            double h = 0.0;
            double headMean = headEnt / t;
            double var = 0.0;
            double soft = 0.0;
            for (int cls = 0; cls < c; cls++) {
                double m = sum[cls] / t;
                meanOut[planeBase + (long long) cls * hw + x] = (float) m;
                h = mulSub(h, m, log(__dadd_rn(m, eps)));
                if (cls == 0 || m > bestMean) {
                    bestMean = m;
                    label = cls;
                }
                double q = (double) voteCount[cls] / t;
                var = __dadd_rn(var, __dmul_rn(q, __dsub_rn(1.0, q)));
                double sv = __dsub_rn(sq[cls] / t, __dmul_rn(m, m));
                if (sv > 0) soft = __dadd_rn(soft, sv);
            }
            var /= c;
            double mutual = h - headMean;
            labelOut[px] = label;
            entropyOut[px] = (float) h;
            miOut[px] = (float) mutual;
            varianceOut[px] = (float) var;
            softOut[px] = (float) soft;
            double maps[3] = {h, mutual, var};
            for (int m = 0; m < 3; m++) {
                if (pixels == 0.0) shift[m] = maps[m];
                mapSum[m] += maps[m];
                shifted[m] += maps[m] - shift[m];
                mapMin[m] = fmin(mapMin[m], maps[m]);
                mapMax[m] = fmax(mapMax[m], maps[m]);
            }
            pixels += 1.0;
            if (truth != nullptr) {
                g = truth[px];
                if (g < 0 || g >= c) {
                    if (atomicExch(error, 1) == 0) error[1] = g;
                    g = 0;
                }
                nll -= log(sum[g] / t + eps);
                double sqErr = 0.0;
                for (int cls = 0; cls < c; cls++) {
                    double diff = sum[cls] / t - (cls == g ? 1.0 : 0.0);
                    sqErr = __dadd_rn(sqErr, __dmul_rn(diff, diff));
                }
                brier += sqErr;
                int b = max(0, min(BINS - 1, (int) (bestMean * BINS)));
                binConf[b] += bestMean;
            }
        }
        if (truth != nullptr) {
            // Counts against the ground truth, by ballots (every lane takes part).
            unsigned di = votes(active && label > 0 && g > 0);
            unsigned ds = votes(active && label > 0) + votes(active && g > 0);
            if (lane == 0) {
                mine[f.diceInter] += di;
                mine[f.diceSize] += ds;
            }
            if (multi) {
                for (int cls = 0; cls < c; cls++) {
                    unsigned ci = votes(active && label == cls && g == cls);
                    unsigned cs = votes(active && label == cls) + votes(active && g == cls);
                    if (lane == 0) {
                        mine[f.classDiceInter + cls] += ci;
                        mine[f.classDiceSize + cls] += cs;
                    }
                }
            }
            int bin = max(0, min(BINS - 1, (int) (bestMean * BINS)));
            for (int b = 0; b < BINS; b++) {
                unsigned n = votes(active && bin == b);
                unsigned correct = votes(active && bin == b && label == g);
                if (lane == 0) {
                    mine[f.binCount + b] += n;
                    mine[f.binCorrect + b] += correct;
                }
            }
        }
    }

    // Fold the block: doubles by blockReduce, the shift against thread 0's (every block has
    // pixels, and thread 0 owns the block's first one).
    double* rec = records + ((long long) blockIdx.y * gridDim.x + blockIdx.x) * recordSize;
    if (threadIdx.x == 0) {
        for (int m = 0; m < 3; m++) blockShift[m] = shift[m];
    }
    __syncthreads();
    double total = blockReduce(pixels, AddOp(), scratch);
    if (threadIdx.x == 0) rec[REC_PIXELS] = total;
    for (int m = 0; m < 3; m++) {
        total = blockReduce(mapSum[m], AddOp(), scratch);
        if (threadIdx.x == 0) rec[REC_SUM + m] = total;
        total = blockReduce(mapMin[m], MinOp(), scratch);
        if (threadIdx.x == 0) rec[REC_MIN + m] = total;
        total = blockReduce(mapMax[m], MaxOp(), scratch);
        if (threadIdx.x == 0) rec[REC_MAX + m] = total;
        double mineShifted = pixels > 0.0 ? shifted[m] + pixels * (shift[m] - blockShift[m]) : 0.0;
        total = blockReduce(mineShifted, AddOp(), scratch);
        if (threadIdx.x == 0) {
            rec[REC_SHIFT + m] = blockShift[m];
            rec[REC_SHIFTED + m] = total;
        }
    }
    total = blockReduce(nll, AddOp(), scratch);
    if (threadIdx.x == 0) rec[REC_NLL] = total;
    total = blockReduce(brier, AddOp(), scratch);
    if (threadIdx.x == 0) rec[REC_BRIER] = total;
    for (int b = 0; b < BINS; b++) {
        total = blockReduce(binConf[b], AddOp(), scratch);
        if (threadIdx.x == 0) rec[REC_BIN_CONF + b] = total;
    }
    __syncthreads();
    for (int k = threadIdx.x; k < f.count; k += blockDim.x) {
        unsigned long long s = 0;
        for (int w = 0; w < warps; w++) s += warpCounts[w * f.count + k];
        rec[REC_INT + k] = (double) s;
    }
}

// One block per group (an image, or the whole batch as one volume): combines the group's block
// records in order into out[group]. Sums add; minima and maxima fold; REC_SHIFT + m becomes the
// min-max normalised score sum_x (m(x) - min) / (max - min), 0 for a constant map, and
// REC_SHIFTED + m is left 0.
extern "C" __global__ void agreement_combine(const double* records, double* out, int blocksPerGroup, int recordSize) {
    const double* first = records + (long long) blockIdx.x * blocksPerGroup * recordSize;
    double* rec = out + (long long) blockIdx.x * recordSize;
    for (int k = threadIdx.x; k < recordSize; k += blockDim.x) {
        bool isMin = k >= REC_MIN && k < REC_MIN + 3;
        bool isMax = k >= REC_MAX && k < REC_MAX + 3;
        bool isShift = k >= REC_SHIFT && k < REC_SHIFTED + 3;
        double acc = isShift ? 0.0 : first[k];
        for (int b = 1; b < blocksPerGroup && !isShift; b++) {
            double v = first[(long long) b * recordSize + k];
            acc = isMin ? fmin(acc, v) : (isMax ? fmax(acc, v) : acc + v);
        }
        rec[k] = acc;
    }
    __syncthreads();
    if (threadIdx.x < 3) {
        int m = threadIdx.x;
        double lo = rec[REC_MIN + m];
        double hi = rec[REC_MAX + m];
        double s = 0.0;
        if (hi > lo) {
            for (int b = 0; b < blocksPerGroup; b++) {
                const double* r = first + (long long) b * recordSize;
                s += r[REC_SHIFTED + m] + r[REC_PIXELS] * (r[REC_SHIFT + m] - lo);
            }
            s /= hi - lo;
        }
        rec[REC_SHIFT + m] = s;
    }
}
