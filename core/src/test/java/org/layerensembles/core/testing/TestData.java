package org.layerensembles.core.testing;

import java.util.Random;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.cpu.StridedCopy;

/** Random test inputs from java.util.Random (independent of the engine's own generator). */
public final class TestData {
    private TestData() {
    }

    /** Doubles uniform in [-1, 1), exactly representable as float32. */
    public static double[] uniform(long seed, int n) {
        Random r = new Random(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (2 * r.nextDouble() - 1);
        }
        return d;
    }

    /**
     * A random permutation of 0, 0.01, 0.02, ... (as float32 values) for this shape: no ties, and
     * neighbours 0.01 apart (much more than a finite-difference step), e.g. for max pooling.
     */
    public static double[] distinctValues(long seed, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (0.01 * i);
        }
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    /** A float32 array of this shape with values uniform in [-1, 1). */
    public static NDArray array(long seed, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return NDArrays.of(uniform(seed, n), shape);
    }

    /**
     * A non-contiguous array holding the same values as {@link #array}: rank 1 as a stride-2 view,
     * higher ranks as the transpose (last two dimensions) of a buffer of the swapped shape.
     */
    public static NDArray nonContiguous(long seed, int... shape) {
        NDArray a = array(seed, shape);
        NDArray view;
        if (shape.length == 1) {
            view = NDArrays.zeros(shape[0], 2).select(1, 0);
        } else {
            int r = shape.length;
            int[] swapped = shape.clone();
            swapped[r - 1] = shape[r - 2];
            swapped[r - 2] = shape[r - 1];
            view = NDArrays.zeros(swapped).transpose(r - 1, r - 2);
        }
        StridedCopy.copy(a, view);
        return view;
    }
}
