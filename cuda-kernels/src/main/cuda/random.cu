// Random fills with core's counter-based generator (core/SeededRandom): draw i of stream `seed` is
// mix(mix(seed) + i * GOLDEN) with SplitMix64's finaliser, so element i of a fill (row-major over
// the view's shape) takes draw first + i on any device. Uniform values are exact in double as on
// the CPU (explicitly rounded operations, no fused multiply-add), so the float32 results are the
// CPU's bits. Normal values use Box-Muller in double; CUDA's log and cos are within an ulp or two
// of StrictMath's, so after rounding to float32 a value matches the CPU's or is one float ulp
// away.
#include "common.cuh"

__device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A double uniform in [0, 1) with 53 random bits; mixedSeed = mix64(seed).
__device__ __forceinline__ double uniformDraw(unsigned long long mixedSeed, unsigned long long index) {
    unsigned long long bits = mix64(mixedSeed + index * 0x9E3779B97F4A7C15ull);
    return (double) (bits >> 11) * 0x1.0p-53;
}

extern "C" __global__ void random_uniform(float* out, int n, long long seed, long long first, double low,
                                          double width, int rank, DIMS(shape), DIMS(so)) {
    Dims shape = LOAD_DIMS(shape);
    Dims so = LOAD_DIMS(so);
    unsigned long long mixed = mix64((unsigned long long) seed);
    FOR_EACH(i, n) {
        double u = uniformDraw(mixed, (unsigned long long) first + i);
        out[offsetOf(i, rank, shape, so)] = (float) __dadd_rn(low, __dmul_rn(width, u));
    }
}

// Box-Muller over draws 2j and 2j + 1 of element j = first + i; the first uniform is moved to
// (0, 1] so the logarithm is finite.
extern "C" __global__ void random_normal(float* out, int n, long long seed, long long first, double mean,
                                         double std, int rank, DIMS(shape), DIMS(so)) {
    const double twoPi = 2.0 * 3.141592653589793;
    Dims shape = LOAD_DIMS(shape);
    Dims so = LOAD_DIMS(so);
    unsigned long long mixed = mix64((unsigned long long) seed);
    FOR_EACH(i, n) {
        unsigned long long j = (unsigned long long) first + i;
        double u1 = __dsub_rn(1.0, uniformDraw(mixed, 2 * j));
        double u2 = uniformDraw(mixed, 2 * j + 1);
        double z = __dmul_rn(__dsqrt_rn(__dmul_rn(-2.0, log(u1))), cos(__dmul_rn(twoPi, u2)));
        out[offsetOf(i, rank, shape, so)] = (float) __dadd_rn(mean, __dmul_rn(std, z));
    }
}
