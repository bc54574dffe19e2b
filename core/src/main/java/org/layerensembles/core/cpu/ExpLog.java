package org.layerensembles.core.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 exp, log, sigmoid and tanh, and a lane sum, built only from IEEE-exact lane-wise
 * operations (add, multiply, divide, fma, compares, integer bit operations), with scalar twins
 * doing the same operations in the same order.
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP)}: compiled code uses Intel's SVML while the
 * interpreter and C1 fall back to {@code Math.exp} per lane, and {@code reduceLanes(ADD)} may add
 * lanes in a different order when intrinsified; so results would change with the JIT's warm-up
 * state and with which thread ran a task, against the determinism rule. These functions give the
 * same bits in every tier, in a vector lane or in a scalar tail.
 *
 * <p>Accuracy: Cephes-style range reduction and minimax polynomials, within about 2 ulp of the
 * exact result on the normal range. exp returns 0 below about -87.34 (no subnormal results) and
 * +inf above about 88.72; log handles 0 (-inf), negatives and NaN (NaN), +inf and subnormals.
 * sigmoid is 1 / (1 + exp(-x)) (within about 2 ulp; 0 below about -88.7, never NaN there). tanh
 * is within 1.5 ulp of Math.tanh for every float (1.43 measured by an exhaustive scan), tiny
 * arguments included (see {@link #tanh(float)}).
 */
final class ExpLog {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in a high part with few bits (n * LN2_HI is exact) and the rest. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float EXP_HI = 88.72283905206835f;
    private static final float EXP_LO = -87.33654475055310898657f;
    private static final float E1 = 1.9875691500e-4f;
    private static final float E2 = 1.3981999507e-3f;
    private static final float E3 = 8.3334519073e-3f;
    private static final float E4 = 4.1665795894e-2f;
    private static final float E5 = 1.6666665459e-1f;
    private static final float E6 = 5.0000001201e-1f;

    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float L1 = 7.0376836292e-2f;
    private static final float L2 = -1.1514610310e-1f;
    private static final float L3 = 1.1676998740e-1f;
    private static final float L4 = -1.2420140846e-1f;
    private static final float L5 = 1.4249322787e-1f;
    private static final float L6 = -1.6668057665e-1f;
    private static final float L7 = 2.0000714765e-1f;
    private static final float L8 = -2.4999993993e-1f;
    private static final float L9 = 3.3333331174e-1f;
    private static final float TWO_23 = 8388608f;
    private static final FloatVector VL1 = FloatVector.broadcast(F, L1);
    private static final FloatVector VL2 = FloatVector.broadcast(F, L2);
    private static final FloatVector VL3 = FloatVector.broadcast(F, L3);
    private static final FloatVector VL4 = FloatVector.broadcast(F, L4);
    private static final FloatVector VL5 = FloatVector.broadcast(F, L5);
    private static final FloatVector VL6 = FloatVector.broadcast(F, L6);
    private static final FloatVector VL7 = FloatVector.broadcast(F, L7);
    private static final FloatVector VL8 = FloatVector.broadcast(F, L8);
    private static final FloatVector VL9 = FloatVector.broadcast(F, L9);
    private static final FloatVector VLN2_HI = FloatVector.broadcast(F, LN2_HI);
    private static final FloatVector VLN2_LO = FloatVector.broadcast(F, LN2_LO);
    private static final FloatVector VMINUS_HALF = FloatVector.broadcast(F, -0.5f);

    /** tanh: |x| below TANH_SMALL uses x + x^3 P(x^2); tanh(TANH_SMALL) > 0.5. */
    private static final float TANH_SMALL = 0.5625f;
    /** Above this |x|, tanh rounds to 1 in float (from about 9.01); clamping keeps e^2x finite. */
    private static final float TANH_SAT = 10f;
    /**
     * P(z) = T1 + T2 z + ... + T5 z^4, a weighted minimax fit (our own, Lawson iteration in
     * double) of (tanh(sqrt z) / sqrt z - 1) / z on z in [0, 0.5625^2], weighted so that the
     * error is relative to tanh: at most 0.03 ulp before float rounding.
     */
    private static final float T1 = -3.333331347e-1f;
    private static final float T2 = 1.333245188e-1f;
    private static final float T3 = -5.383742973e-2f;
    private static final float T4 = 2.100746334e-2f;
    private static final float T5 = -6.179815624e-3f;

    private ExpLog() {
    }

    // ---- exp: x = n ln2 + r, |r| <= ln2 / 2; e^x = 2^n * (1 + r + r^2 p(r))

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, E1), FloatVector.broadcast(F, E2));
        p = p.fma(r, FloatVector.broadcast(F, E3));
        p = p.fma(r, FloatVector.broadcast(F, E4));
        p = p.fma(r, FloatVector.broadcast(F, E5));
        p = p.fma(r, FloatVector.broadcast(F, E6));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        y = y.mul(bits.reinterpretAsFloats());
        y = y.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
        return y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
    }

    static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(xc, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, E1, E2);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E5);
        p = Math.fma(p, r, E6);
        float y = p * (r * r) + r + 1f;
        y = y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (ROUND_BITS - 127)) << 23);
        if (x < EXP_LO) {
            return 0f;
        }
        return x > EXP_HI ? Float.POSITIVE_INFINITY : y;
    }

    // ---- log: x = 2^e * (1 + m), sqrt(1/2) <= 1 + m < sqrt(2); log x = e ln2 + m - m^2/2 + m^3 q(m)

    static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(TWO_23), tiny);
        IntVector bits = xs.reinterpretAsInts();
        FloatVector e = (FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(126).convert(VectorOperators.I2F, 0);
        e = e.sub(23f, tiny);
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats();
        VectorMask<Float> low = m.compare(VectorOperators.LT, SQRT_HALF);
        e = e.sub(1f, low);
        m = m.add(m, low).sub(1f);
        FloatVector z = m.mul(m);
        // m^3 q(m), Horner
        FloatVector y = m.fma(VL1, VL2).fma(m, VL3).fma(m, VL4).fma(m, VL5).fma(m, VL6).fma(m, VL7).fma(m, VL8)
                .fma(m, VL9).mul(m).mul(z);
        y = e.fma(VLN2_LO, y);
        y = z.fma(VMINUS_HALF, y);
        FloatVector result = e.fma(VLN2_HI, m.add(y));
        // the special cases: +inf, NaN for x < 0 or NaN, -inf for +-0
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        result = result.blend(Float.NaN, x.compare(VectorOperators.GE, 0f).not());
        return result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
    }

    // The vector log is one method calling only the Vector API: its bytecode stays under the JIT's
    // inlining limit for hot methods (325 bytes; the constants are vectors made once, which keeps
    // it short), so a caller inlines all of it or none of it. Helper methods would let the JIT
    // inline the log and then stop at a helper when the caller's node budget runs out, boxing
    // the vectors passed to it (5-10x slower).

    static float log(float x) {
        boolean tiny = x < Float.MIN_NORMAL;
        float xs = tiny ? x * TWO_23 : x;
        int bits = Float.floatToRawIntBits(xs);
        float e = (float) ((bits >>> 23) - 126);
        e = e - (tiny ? 23f : 0f);
        float m = Float.intBitsToFloat((bits & 0x807fffff) | 0x3f000000);
        boolean low = m < SQRT_HALF;
        e = e - (low ? 1f : 0f);
        m = (m + (low ? m : 0f)) - 1f;
        float z = m * m;
        float y = Math.fma(m, L1, L2);
        y = Math.fma(y, m, L3);
        y = Math.fma(y, m, L4);
        y = Math.fma(y, m, L5);
        y = Math.fma(y, m, L6);
        y = Math.fma(y, m, L7);
        y = Math.fma(y, m, L8);
        y = Math.fma(y, m, L9);
        y = y * m * z;
        y = Math.fma(e, LN2_LO, y);
        y = Math.fma(z, -0.5f, y);
        float result = Math.fma(e, LN2_HI, m + y);
        if (x == Float.POSITIVE_INFINITY) {
            return x;
        }
        if (x < 0 || x != x) {
            return Float.NaN;
        }
        return x == 0 ? Float.NEGATIVE_INFINITY : result;
    }

    // ---- sigmoid: 1 / (1 + e^-x); e^-x is +inf below about -88.7, giving 0

    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        return one.div(exp(x.neg()).add(one));
    }

    static float sigmoid(float x) {
        return 1f / (exp(-x) + 1f);
    }

    // ---- tanh

    /**
     * tanh, lanes computed as {@link #tanh(float)}: both forms are evaluated in every lane and the
     * small-argument one is blended in where |x| < 0.5625.
     */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs().min(TANH_SAT);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector big = one.sub(FloatVector.broadcast(F, 2f).div(exp(a.add(a)).add(one)));
        FloatVector z = x.mul(x);
        FloatVector p = z.fma(FloatVector.broadcast(F, T5), FloatVector.broadcast(F, T4));
        p = p.fma(z, FloatVector.broadcast(F, T3));
        p = p.fma(z, FloatVector.broadcast(F, T2));
        p = p.fma(z, FloatVector.broadcast(F, T1));
        FloatVector small = p.fma(x.mul(z), x);
        FloatVector r = big.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
        return r.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
    }

    /**
     * tanh(x). For |x| < 0.5625, x + x^3 P(x^2) with a degree-4 minimax P: no cancellation, so
     * tiny x keep full relative accuracy (tanh(x) = x below about 2^-12, -0 stays -0). Above,
     * sign(x) (1 - 2 / (e^2|x| + 1)): the result is at least 0.5, so the error of the subtracted
     * term (under 0.5) counts at most half in the result's ulps. Saturates to +-1; NaN gives NaN.
     * The sign bit of x is set on the result at the end: it makes the exp form odd, and keeps
     * tanh(-0) = -0 (the polynomial gives -0 + +0 = +0).
     */
    static float tanh(float x) {
        float a = Math.min(Math.abs(x), TANH_SAT);
        float r;
        if (a < TANH_SMALL) {
            float z = x * x;
            float p = Math.fma(z, T5, T4);
            p = Math.fma(p, z, T3);
            p = Math.fma(p, z, T2);
            p = Math.fma(p, z, T1);
            r = Math.fma(p, x * z, x);
        } else {
            r = 1f - 2f / (exp(a + a) + 1f);
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(r) | (Float.floatToRawIntBits(x) & 0x80000000));
    }

    // ---- lane sum in a fixed order

    /** The sum of a vector's lanes, added pairwise in a fixed tree (lane i + lane i + w, w halving). */
    static float sumLanes(FloatVector v) {
        for (int w = F.length() / 2; w >= 1; w /= 2) {
            v = v.add(v.slice(w));
        }
        return v.lane(0);
    }
}
