package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * ExpLog: accuracy against Math.exp / Math.log in double (at most 2 ulp of the float result on
 * the normal range), vector lanes bit-identical to the scalar versions, special values, and the
 * fixed-order lane sum.
 */
class ExpLogTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static void checkVectorEqualsScalar(float[] xs) {
        float[] lanes = new float[F.length()];
        for (int i = 0; i + F.length() <= xs.length; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, xs, i);
            ExpLog.exp(v).intoArray(lanes, 0);
            for (int j = 0; j < lanes.length; j++) {
                assertEquals(Float.floatToIntBits(ExpLog.exp(xs[i + j])), Float.floatToIntBits(lanes[j]),
                        "exp lane vs scalar at " + xs[i + j]);
            }
            ExpLog.log(v).intoArray(lanes, 0);
            for (int j = 0; j < lanes.length; j++) {
                assertEquals(Float.floatToIntBits(ExpLog.log(xs[i + j])), Float.floatToIntBits(lanes[j]),
                        "log lane vs scalar at " + xs[i + j]);
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
