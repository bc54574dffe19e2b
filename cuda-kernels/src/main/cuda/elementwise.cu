// Elementwise kernels: fill, strided copy, cast, unary maps and their gradients, broadcasting
// binary ops, clamp, where. Semantics are those of org.layerensembles.core.backend.Backend and
// the CPU backend (core/cpu/UnaryKernels, BinaryKernels).
//
// Operands are strided views: each comes with its strides over the result's shape (0 along a
// broadcast dimension), see common.cuh. Results are written through strides too, so the same
// kernel serves a new contiguous result and binaryInto's view. Elements are 4-byte words;
// copies and `where` move raw words, so they serve float32 and int32 alike.
#include "common.cuh"

// Op codes: the order of the Java enums UnaryOp and BinaryOp (a CPU test compares them).
enum UnaryCode { U_NEG, U_EXP, U_LOG, U_SQRT, U_ABS, U_RELU, U_SIGMOID, U_TANH };
enum BinaryCode { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_GT, B_GE, B_LT, B_LE, B_EQ };

__device__ __forceinline__ float unaryOp(int op, float v) {
    switch (op) {
        case U_NEG: return -v;
        case U_EXP: return expf(v);
        case U_LOG: return logf(v);
        case U_SQRT: return sqrtf(v);
        case U_ABS: return fabsf(v);
        case U_RELU: return javaMax(v, 0.0f);
        case U_SIGMOID: return 1.0f / (1.0f + expf(-v));
        default: return tanhf(v);
    }
}

// dL/dx from p (the forward output y for EXP, SQRT, SIGMOID, TANH; the input x otherwise) and g.
__device__ __forceinline__ float unaryGrad(int op, float p, float g) {
    switch (op) {
        case U_NEG: return -g;
        case U_EXP: return g * p;
        case U_LOG: return g / p;
        case U_SQRT: return g / (p + p);
        case U_ABS: return p > 0.0f ? g : (p < 0.0f ? -g : 0.0f);
        case U_RELU: return p > 0.0f ? g : 0.0f;
        case U_SIGMOID: return g * p * (1.0f - p);
        default: return g * (1.0f - p * p);
    }
}

__device__ __forceinline__ float binaryOp(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_POW: return (float) pow((double) a, (double) b); // Java: (float) Math.pow(a, b)
        case B_MAX: return javaMax(a, b);
        case B_MIN: return javaMin(a, b);
        case B_GT: return a > b ? 1.0f : 0.0f;
        case B_GE: return a >= b ? 1.0f : 0.0f;
        case B_LT: return a < b ? 1.0f : 0.0f;
        case B_LE: return a <= b ? 1.0f : 0.0f;
        default: return a == b ? 1.0f : 0.0f;
    }
}

// Offsets of row-major index i in three operands at once.
__device__ __forceinline__ void offsets3(unsigned i, int rank, const Dims& shape, const Dims& s0, const Dims& s1,
                                         const Dims& s2, long long& o0, long long& o1, long long& o2) {
    o0 = 0;
    o1 = 0;
    o2 = 0;
#pragma unroll
    for (int k = MAX_RANK - 1; k >= 0; k--) {
        if (k < MAX_RANK - rank) break;
        unsigned e = (unsigned) shape.d[k];
        unsigned q = i / e;
        unsigned r = i - q * e;
        o0 += (long long) r * s0.d[k];
        o1 += (long long) r * s1.d[k];
        o2 += (long long) r * s2.d[k];
        i = q;
    }
}

// Every element of a view set to one 32-bit pattern (a float's or an int's bits).
extern "C" __global__ void fill_words(unsigned* out, int n, unsigned bits, int rank, DIMS(shape), DIMS(so)) {
    Dims shape = LOAD_DIMS(shape);
    Dims so = LOAD_DIMS(so);
    FOR_EACH(i, n) {
        out[offsetOf(i, rank, shape, so)] = bits;
    }
}

// dst = src through both views' strides (raw words).
extern "C" __global__ void copy_strided(const unsigned* src, unsigned* dst, int n, int rank, DIMS(shape), DIMS(ss),
                                        DIMS(sd)) {
    Dims shape = LOAD_DIMS(shape);
    Dims ss = LOAD_DIMS(ss);
    Dims sd = LOAD_DIMS(sd);
    FOR_EACH(i, n) {
        long long os, od;
        offsetsOf(i, rank, shape, ss, sd, os, od);
        dst[od] = src[os];
    }
}

// Java's (int) cast of a float: truncation toward zero, NaN gives 0, out-of-range values
// saturate (spelled out rather than left to the conversion instruction).
__device__ __forceinline__ int javaFloatToInt(float v) {
    if (v != v) return 0;
    if (v >= 2147483648.0f) return 2147483647;
    if (v <= -2147483648.0f) return (int) 0x80000000u;
    return __float2int_rz(v);
}

// float32 -> int32 as Java casts; contiguous output.
extern "C" __global__ void cast_f32_i32(const float* x, int* out, int n, int rank, DIMS(shape), DIMS(sx)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sx = LOAD_DIMS(sx);
    FOR_EACH(i, n) {
        out[i] = javaFloatToInt(x[offsetOf(i, rank, shape, sx)]);
    }
}

extern "C" __global__ void cast_i32_f32(const int* x, float* out, int n, int rank, DIMS(shape), DIMS(sx)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sx = LOAD_DIMS(sx);
    FOR_EACH(i, n) {
        out[i] = (float) x[offsetOf(i, rank, shape, sx)];
    }
}

// y = op(x), contiguous output.
extern "C" __global__ void unary_map(int op, const float* x, float* out, int n, int rank, DIMS(shape), DIMS(sx)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sx = LOAD_DIMS(sx);
    FOR_EACH(i, n) {
        out[i] = unaryOp(op, x[offsetOf(i, rank, shape, sx)]);
    }
}

// dL/dx = derivative of op given p (x or y) and g = dL/dy, contiguous output.
extern "C" __global__ void unary_backward(int op, const float* p, const float* g, float* out, int n, int rank,
                                          DIMS(shape), DIMS(sp), DIMS(sg)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sp = LOAD_DIMS(sp);
    Dims sg = LOAD_DIMS(sg);
    FOR_EACH(i, n) {
        long long op0, og;
        offsetsOf(i, rank, shape, sp, sg, op0, og);
        out[i] = unaryGrad(op, p[op0], g[og]);
    }
}

// out = a op b with a and b broadcast to out's shape; out is any view (it may be a itself).
extern "C" __global__ void binary_map(int op, const float* a, const float* b, float* out, int n, int rank,
                                      DIMS(shape), DIMS(sa), DIMS(sb), DIMS(so)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sa = LOAD_DIMS(sa);
    Dims sb = LOAD_DIMS(sb);
    Dims so = LOAD_DIMS(so);
    FOR_EACH(i, n) {
        long long oa, ob, oo;
        offsets3(i, rank, shape, sa, sb, so, oa, ob, oo);
        out[oo] = binaryOp(op, a[oa], b[ob]);
    }
}

// The common case of binary_map: a, b and out contiguous with one shape.
extern "C" __global__ void binary_flat(int op, const float* a, const float* b, float* out, int n) {
    FOR_EACH(i, n) {
        out[i] = binaryOp(op, a[i], b[i]);
    }
}

// min(max(x, lo), hi) with Java's Math.max/min (a NaN x stays NaN), contiguous output.
extern "C" __global__ void clamp_map(const float* x, float* out, float lo, float hi, int n, int rank, DIMS(shape),
                                     DIMS(sx)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sx = LOAD_DIMS(sx);
    FOR_EACH(i, n) {
        out[i] = javaMin(javaMax(x[offsetOf(i, rank, shape, sx)], lo), hi);
    }
}

// gradY where lo <= x <= hi (false for NaN), else 0.
extern "C" __global__ void clamp_backward(const float* x, const float* g, float* out, float lo, float hi, int n,
                                          int rank, DIMS(shape), DIMS(sx), DIMS(sg)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sx = LOAD_DIMS(sx);
    Dims sg = LOAD_DIMS(sg);
    FOR_EACH(i, n) {
        long long ox, og;
        offsetsOf(i, rank, shape, sx, sg, ox, og);
        float v = x[ox];
        out[i] = (v >= lo && v <= hi) ? g[og] : 0.0f;
    }
}

// a where condition != 0 else b (raw words; a float condition of NaN counts as nonzero, -0.0 as
// zero), contiguous output.
extern "C" __global__ void where_map(const unsigned* cond, int intCondition, const unsigned* a, const unsigned* b,
                                     unsigned* out, int n, int rank, DIMS(shape), DIMS(sc), DIMS(sa), DIMS(sb)) {
    Dims shape = LOAD_DIMS(shape);
    Dims sc = LOAD_DIMS(sc);
    Dims sa = LOAD_DIMS(sa);
    Dims sb = LOAD_DIMS(sb);
    FOR_EACH(i, n) {
        long long oc, oa, ob;
        offsets3(i, rank, shape, sc, sa, sb, oc, oa, ob);
        unsigned c = cond[oc];
        bool take = intCondition ? c != 0u : __uint_as_float(c) != 0.0f;
        out[i] = take ? a[oa] : b[ob];
    }
}
