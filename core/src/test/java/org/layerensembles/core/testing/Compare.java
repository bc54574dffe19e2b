package org.layerensembles.core.testing;

import java.util.Arrays;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.cpu.Parallel;
import org.layerensembles.core.reference.RefArrays;

/**
 * Tolerance checks that explain themselves: on failure they print the largest difference and the
 * first mismatching positions (as multi-indices of the given shape).
 *
 * <p>An element passes when |actual - expected| <= atol + rtol * |expected|. NaN matches NaN
 * only; infinities must be equal.
 */
public final class Compare {
    private static final int SHOWN = 8;

    private Compare() {
    }

    public static void assertClose(String what, double[] expected, NDArray actual, double atol, double rtol) {
        assertClose(what, expected, RefArrays.doubles(actual), actual.shape(), atol, rtol);
    }

    public static void assertClose(String what, NDArray expected, NDArray actual, double atol, double rtol) {
        Assertions.assertArrayEquals(expected.shape(), actual.shape(), what + ": shapes differ");
        assertClose(what, RefArrays.doubles(expected), RefArrays.doubles(actual), actual.shape(), atol, rtol);
    }

    public static void assertClose(String what, double[] expected, double[] actual, int[] shape, double atol,
                                   double rtol) {
        if (expected.length != actual.length) {
            Assertions.fail(what + ": expected " + expected.length + " values, got " + actual.length);
        }
        double maxDiff = 0;
        int maxAt = -1;
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            boolean ok;
            double diff;
            if (Double.isNaN(e) || Double.isNaN(a)) {
                ok = Double.isNaN(e) && Double.isNaN(a);
                diff = ok ? 0 : Double.POSITIVE_INFINITY;
            } else if (Double.isInfinite(e) || Double.isInfinite(a)) {
                ok = e == a;
                diff = ok ? 0 : Double.POSITIVE_INFINITY;
            } else {
                diff = Math.abs(a - e);
                ok = diff <= atol + rtol * Math.abs(e);
            }
            if (diff > maxDiff) {
                maxDiff = diff;
                maxAt = i;
            }
            if (!ok) {
                if (bad < SHOWN) {
                    first.append("\n  at ").append(position(shape, i)).append(": expected ").append(e)
                            .append(", got ").append(a);
                }
                bad++;
            }
        }
        if (bad > 0) {
            Assertions.fail(what + ": " + bad + " of " + expected.length + " values outside atol " + atol + " + rtol "
                    + rtol + "; max |diff| " + maxDiff + " at " + position(shape, maxAt) + first);
        }
    }

    /** Exact equality of two arrays of the same dtype (bit-for-bit for floats). */
    public static void assertIdentical(String what, NDArray expected, NDArray actual) {
        Assertions.assertArrayEquals(expected.shape(), actual.shape(), what + ": shapes differ");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                Assertions.fail(what + ": first difference at " + position(actual.shape(), i) + ": " + e[i] + " vs " + a[i]);
            }
        }
    }

    /**
     * Runs {@code run} on 1 and then 2 threads (restoring the default thread count afterwards) and
     * asserts every result identical: "{@code what} i, 1 vs 2 threads".
     */
    public static void assertThreadCountIndependent(String what, Supplier<NDArray[]> run) {
        NDArray[] one;
        NDArray[] two;
        try {
            Parallel.setThreads(1);
            one = run.get();
            Parallel.setThreads(2);
            two = run.get();
        } finally {
            Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        }
        Assertions.assertEquals(one.length, two.length, what + ": result count differs");
        for (int i = 0; i < one.length; i++) {
            assertIdentical(what + " " + i + ", 1 vs 2 threads", one[i], two[i]);
        }
    }

    private static String position(int[] shape, int flat) {
        if (flat < 0) {
            return "-";
        }
        return shape == null || shape.length == 0 ? "[" + flat + "]" : Arrays.toString(RefArrays.unflat(shape, flat));
    }
}
