package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * ExpLog: accuracy against Math.exp / Math.log / Math.tanh in double (exp, log, tanh at most 2
 * ulp of the float result on the normal range; sigmoid 3), vector lanes bit-identical to the
 * scalar versions, special values, and the fixed-order lane sum.
 *
 * <p>tanh measured over every positive float below 12 (a throwaway exhaustive scan): at most
 * 1.43 ulp (near 0.565, just above the switch to the exp form), 0.75 ulp on the polynomial
 * range |x| < 0.5625, 0.5 ulp below 1e-3; odd to the bit. sigmoid for x <= 0: at most 2.0 ulp.
 */
class ExpLogTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private interface VectorFn {
        FloatVector apply(FloatVector v);
    }

    private interface ScalarFn {
        float apply(float x);
    }

    private static void checkVectorEqualsScalar(float[] xs) {
        check("exp", ExpLog::exp, ExpLog::exp, xs);
        check("log", ExpLog::log, ExpLog::log, xs);
        check("sigmoid", ExpLog::sigmoid, ExpLog::sigmoid, xs);
        check("tanh", ExpLog::tanh, ExpLog::tanh, xs);
    }

    private static void check(String name, VectorFn vf, ScalarFn sf, float[] xs) {
        float[] lanes = new float[F.length()];
        for (int i = 0; i + F.length() <= xs.length; i += F.length()) {
            vf.apply(FloatVector.fromArray(F, xs, i)).intoArray(lanes, 0);
            for (int j = 0; j < lanes.length; j++) {
                assertEquals(Float.floatToIntBits(sf.apply(xs[i + j])), Float.floatToIntBits(lanes[j]),
                        name + " lane vs scalar at " + xs[i + j]);
            }
        }
    }

    @Test
    void expIsAccurateAndLanesMatchScalars() {
        Random r = new Random(1);
        float[] xs = new float[F.length() * 4096];
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (r.nextDouble() * 175 - 87);
            double exact = Math.exp(xs[i]);
            double ulp = Math.ulp((float) exact);
            worst = Math.max(worst, Math.abs(ExpLog.exp(xs[i]) - exact) / ulp);
        }
        assertTrue(worst <= 2, "exp max error " + worst + " ulp");
        checkVectorEqualsScalar(xs);
    }

    @Test
    void logIsAccurateAndLanesMatchScalars() {
        Random r = new Random(2);
        float[] xs = new float[F.length() * 4096];
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            // magnitudes from 1e-30 to 1e30, and many near 1 where log is small
            xs[i] = i % 2 == 0 ? (float) Math.pow(10, r.nextDouble() * 60 - 30) : (float) (0.5 + r.nextDouble());
            double exact = Math.log(xs[i]);
            double ulp = Math.ulp((float) exact);
            worst = Math.max(worst, Math.abs(ExpLog.log(xs[i]) - exact) / ulp);
        }
        assertTrue(worst <= 2, "log max error " + worst + " ulp");
        checkVectorEqualsScalar(xs);
    }

    @Test
    void tanhIsAccurateFromTinyToSaturatedAndLanesMatchScalars() {
        // a dense sweep of float bit patterns from 1e-30 to 12 (about 2 million values), both signs
        int from = Float.floatToRawIntBits(1e-30f);
        int to = Float.floatToRawIntBits(12f);
        int step = 401;
        float[] xs = new float[2 * ((to - from) / step + 1) + F.length()];
        int n = 0;
        double worst = 0;
        float worstAt = 0;
        for (int b = from; b <= to; b += step) {
            float x = Float.intBitsToFloat(b);
            for (float v : new float[] {x, -x}) {
                xs[n++] = v;
                double exact = Math.tanh(v);
                double err = Math.abs(ExpLog.tanh(v) - exact) / Math.ulp((float) exact);
                if (err > worst) {
                    worst = err;
                    worstAt = v;
                }
            }
        }
        assertTrue(worst <= 2, "tanh max error " + worst + " ulp at " + worstAt);
        checkVectorEqualsScalar(java.util.Arrays.copyOf(xs, n - n % F.length()));
        // no cancellation near 0: tanh(x) = x - x^3/3 to the last bit
        assertEquals(1e-30f, ExpLog.tanh(1e-30f));
        assertEquals(-1e-5f, ExpLog.tanh(-1e-5f));
        assertEquals((float) Math.tanh(0.01f), ExpLog.tanh(0.01f));
    }

    @Test
    void sigmoidIsAccurate() {
        Random r = new Random(3);
        float[] xs = new float[F.length() * 4096];
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (r.nextDouble() * 120 - 87);
            double exact = 1 / (1 + Math.exp(-(double) xs[i]));
            worst = Math.max(worst, Math.abs(ExpLog.sigmoid(xs[i]) - exact) / Math.ulp((float) exact));
        }
        assertTrue(worst <= 3, "sigmoid max error " + worst + " ulp");
        checkVectorEqualsScalar(xs);
    }

    @Test
    void specialValues() {
        float[] xs = new float[Math.max(16, F.length())];
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 100f, -100f,
            Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, Float.MAX_VALUE, -88f, 88f, 2f};
        System.arraycopy(special, 0, xs, 0, Math.min(special.length, xs.length));
        checkVectorEqualsScalar(xs);
        assertEquals(1f, ExpLog.exp(0f));
        assertEquals(0f, ExpLog.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, ExpLog.exp(-100f));
        assertEquals(Float.POSITIVE_INFINITY, ExpLog.exp(100f));
        assertTrue(Float.isNaN(ExpLog.exp(Float.NaN)));
        assertEquals(0f, ExpLog.log(1f));
        assertEquals(Float.NEGATIVE_INFINITY, ExpLog.log(0f));
        assertEquals(Float.NEGATIVE_INFINITY, ExpLog.log(-0f));
        assertEquals(Float.POSITIVE_INFINITY, ExpLog.log(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(ExpLog.log(-1f)));
        assertTrue(Float.isNaN(ExpLog.log(Float.NaN)));
        assertEquals(Math.log(1e-40), ExpLog.log(1e-40f), 1e-5, "subnormal");
        assertEquals(0f, ExpLog.sigmoid(-100f));
        assertEquals(0f, ExpLog.sigmoid(Float.NEGATIVE_INFINITY));
        assertEquals(1f, ExpLog.sigmoid(100f));
        assertEquals(1f, ExpLog.sigmoid(Float.POSITIVE_INFINITY));
        assertEquals(0.5f, ExpLog.sigmoid(0f));
        assertTrue(Float.isNaN(ExpLog.sigmoid(Float.NaN)));
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(ExpLog.tanh(0f)));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(ExpLog.tanh(-0f)));
        assertEquals(Float.MIN_VALUE, ExpLog.tanh(Float.MIN_VALUE));
        assertEquals(1f, ExpLog.tanh(9.1f));
        assertEquals(-1f, ExpLog.tanh(-100f));
        assertEquals(1f, ExpLog.tanh(Float.POSITIVE_INFINITY));
        assertEquals(-1f, ExpLog.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(Math.nextDown(1f), ExpLog.tanh(9f), "tanh(9) = 1 - 3.05e-8 rounds below 1");
        assertTrue(Float.isNaN(ExpLog.tanh(Float.NaN)));
    }

    @Test
    void laneSumIsAFixedTree() {
        float[] xs = new float[F.length()];
        double exact = 0;
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) Math.pow(-1.7, i);
            exact += xs[i];
        }
        float s = ExpLog.sumLanes(FloatVector.fromArray(F, xs, 0));
        assertEquals(exact, s, 1e-5 * Math.abs(exact) + 1e-6);
        // the tree, spelled out
        float[] t = xs.clone();
        for (int w = t.length / 2; w >= 1; w /= 2) {
            for (int i = 0; i < w; i++) {
                t[i] = t[i] + t[i + w];
            }
        }
        assertEquals(Float.floatToIntBits(t[0]), Float.floatToIntBits(s));
    }
}
