package org.layerensembles.core.testing;

/** Element-wise double[] arithmetic for building reference functions in tests. */
public final class DoubleArrays {
    private DoubleArrays() {
    }

    /** a + b, element by element (same lengths). */
    public static double[] add(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    /** tanh of each element. */
    public static double[] tanh(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.tanh(v[i]);
        }
        return out;
    }
}
