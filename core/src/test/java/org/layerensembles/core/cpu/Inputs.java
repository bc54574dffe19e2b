package org.layerensembles.core.cpu;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;

/** Input builders shared by the elementwise and reduction tests. */
final class Inputs {
    private Inputs() {
    }

    /** n doubles exactly representable in float32, uniform in [lo, hi). */
    static double[] values(long seed, int n, double lo, double hi) {
        Random r = new Random(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return d;
    }

    static double[] map(double[] d, DoubleUnaryOperator f) {
        double[] out = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) f.applyAsDouble(d[i]);
        }
        return out;
    }

    static NDArray array(double[] d, int... shape) {
        return NDArrays.of(d, shape);
    }

    /**
     * The same values in a non-contiguous layout: rank 0 and 1 as a stride-2 slice, higher ranks
     * as the transpose of the last two dimensions of a buffer of the swapped shape.
     */
    static NDArray strided(NDArray a) {
        int[] shape = a.shape();
        NDArray view;
        if (shape.length <= 1) {
            int n = (int) Shapes.numel(shape);
            view = NDArrays.zeros(a.dtype(), n, 2).select(1, 0);
            if (shape.length == 0) {
                view = view.select(0, 0);
            }
        } else {
            int r = shape.length;
            int[] swapped = shape.clone();
            swapped[r - 1] = shape[r - 2];
            swapped[r - 2] = shape[r - 1];
            view = NDArrays.zeros(a.dtype(), swapped).transpose(r - 1, r - 2);
        }
        StridedCopy.copy(a, view);
        return view;
    }
}
