package org.layerensembles.core.backend;

import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The argument checks of concat and split and the joined shape, shared by the backends so that
 * both reject bad parts with the same message.
 */
public final class ConcatChecks {
    private ConcatChecks() {
    }

    /**
     * Checks concat's parts: at least one, none null, one dtype and rank, the same extents except
     * along {@code axis} (negative counts from the end). Returns the axis as 0..rank-1.
     */
    public static int concat(List<NDArray> xs, int axis) {
        String op = "concat";
        if (xs == null || xs.isEmpty()) {
            throw new IllegalArgumentException(op + ": needs at least one array");
        }
        NDArray first = xs.get(0);
        if (first == null) {
            throw new IllegalArgumentException(op + ": array 0 is null");
        }
        int rank = first.rank();
        int[] firstShape = first.shape();
        int a = Checks.axis(op, axis, "shape", firstShape);
        for (int p = 0; p < xs.size(); p++) {
            NDArray x = xs.get(p);
            if (x == null) {
                throw new IllegalArgumentException(op + ": array " + p + " is null");
            }
            if (x.dtype() != first.dtype()) {
                throw new IllegalArgumentException(op + ": dtypes differ, array 0 is " + first.dtype() + " "
                        + Shapes.str(firstShape) + ", array " + p + " is " + x.dtype() + " " + Shapes.str(x.shape()));
            }
            if (x.rank() != rank) {
                throw new IllegalArgumentException(op + ": ranks differ, array 0 has shape " + Shapes.str(firstShape)
                        + ", array " + p + " has shape " + Shapes.str(x.shape()));
            }
            for (int d = 0; d < rank; d++) {
                if (d != a && x.size(d) != firstShape[d]) {
                    throw new IllegalArgumentException(op + ": shape mismatch in dimension " + d
                            + " (all but axis " + a + " must agree), array 0 has shape " + Shapes.str(firstShape)
                            + ", array " + p + " has shape " + Shapes.str(x.shape()));
                }
            }
        }
        return a;
    }

    /** The shape of the checked parts joined along axis {@code a} (0..rank-1). */
    public static int[] joinedShape(List<NDArray> xs, int a) {
        long total = 0;
        for (NDArray x : xs) {
            total += x.size(a);
        }
        int[] outShape = xs.get(0).shape();
        outShape[a] = Math.toIntExact(total);
        return Shapes.validate("concat", outShape);
    }

    /**
     * Checks split's arguments: x not null, the axis in range (negative counts from the end),
     * at least one size, none negative, summing to the axis extent. Returns the axis as 0..rank-1.
     */
    public static int split(NDArray x, int axis, int... sizes) {
        String op = "split";
        if (x == null) {
            throw new IllegalArgumentException(op + ": x is null");
        }
        int[] shape = x.shape();
        int a = Checks.axis(op, axis, "shape", shape);
        if (sizes == null || sizes.length == 0) {
            throw new IllegalArgumentException(op + ": needs at least one size");
        }
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative size in " + Arrays.toString(sizes));
            }
            sum += s;
        }
        if (sum != shape[a]) {
            throw new IllegalArgumentException(op + ": sizes " + Arrays.toString(sizes) + " sum to " + sum
                    + ", but dimension " + a + " of x " + Shapes.str(shape) + " has extent " + shape[a]);
        }
        return a;
    }
}
