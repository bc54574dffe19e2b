package org.layerensembles.core.backend;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The argument checks of the optimizer primitives (adamUpdate, sgdUpdate, sumOfSquares,
 * scaleInPlace), shared by the backends so that both reject bad input with the same message.
 */
public final class UpdateChecks {
    private UpdateChecks() {
    }

    /**
     * Checks that all arrays are contiguous float32 with the first one's element count; returns
     * that count.
     */
    public static int flat(String op, NDArray... xs) {
        long n = xs[0].numel();
        for (NDArray x : xs) {
            if (x.dtype() != DType.FLOAT32 || !x.isContiguous() || x.numel() != n) {
                throw new IllegalArgumentException(op + ": needs contiguous float32 arrays of " + n
                        + " elements, got " + x.dtype() + " " + Shapes.str(x.shape())
                        + (x.isContiguous() ? "" : " (not contiguous)"));
            }
        }
        return Math.toIntExact(n);
    }

    /**
     * Checks sgdUpdate's arrays: a momentum buffer when the momentum is not 0, all of them flat
     * alike ({@link #flat}). Returns the element count.
     */
    public static int sgd(NDArray param, NDArray grad, NDArray buffer, SgdUpdate s) {
        if (s.momentum() == 0) {
            return flat("sgdUpdate", param, grad);
        }
        if (buffer == null) {
            throw new IllegalArgumentException("sgdUpdate: momentum " + s.momentum() + " needs a momentum buffer");
        }
        return flat("sgdUpdate", param, grad, buffer);
    }
}
