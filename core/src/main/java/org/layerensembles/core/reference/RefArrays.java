package org.layerensembles.core.reference;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * Shared plumbing of the reference twins. A reference computation works on {@code double[]} in
 * row-major order with an {@code int[]} shape: plain loops, double precision, nothing clever, so
 * that a student reads it first and tests trust it as the oracle of the fast kernels.
 */
public final class RefArrays {
    private RefArrays() {
    }

    /** The elements of any array (view or not, float32 or int32) as doubles, row-major. */
    public static double[] doubles(NDArray x) {
        float[] f = x.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Row-major flat position of a multi-index. */
    public static int flat(int[] shape, int... index) {
        int pos = 0;
        for (int i = 0; i < shape.length; i++) {
            pos = pos * shape[i] + index[i];
        }
        return pos;
    }

    /** The multi-index of a row-major flat position. */
    public static int[] unflat(int[] shape, long pos) {
        int[] index = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            index[i] = (int) (pos % shape[i]);
            pos /= shape[i];
        }
        return index;
    }

    public static int numel(int[] shape) {
        return (int) Shapes.numel(shape);
    }
}
