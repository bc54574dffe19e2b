package org.layerensembles.core.backend;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The argument checks of gather, its gradient and one-hot encoding, and the out-of-range error
 * of an index, shared by the backends so that both reject bad input with the same message.
 */
public final class IndexChecks {
    private IndexChecks() {
    }

    /** Checks gather's arguments; returns the axis as 0..rank-1. */
    public static int gather(NDArray x, int axis, NDArray index) {
        if (x == null || index == null) {
            throw new IllegalArgumentException("gather: x and index must not be null");
        }
        return index("gather", "x", x.shape(), axis, index);
    }

    /**
     * Checks gatherBackward's arguments (gradY float32 with the index's shape, index valid for
     * an input of {@code inputShape}); returns the axis as 0..rank-1.
     */
    public static int gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape) {
        String op = "gatherBackward";
        if (gradY == null || index == null || inputShape == null) {
            throw new IllegalArgumentException(op + ": gradY, index and inputShape must not be null");
        }
        Checks.float32(op, "gradY", gradY);
        int a = index(op, "input", Shapes.validate(op, inputShape), axis, index);
        Checks.sameShape(op, "gradY", gradY, "index", index);
        return a;
    }

    /**
     * Checks oneHot's arguments (int32 labels, at least one class, the axis within the output's
     * rank, negative counting from its end); returns the axis as 0..rank.
     */
    public static int oneHot(NDArray labels, int classes, int axis) {
        String op = "oneHot";
        if (labels == null) {
            throw new IllegalArgumentException(op + ": labels is null");
        }
        Checks.dtype(op, "labels", labels, DType.INT32);
        if (classes < 1) {
            throw new IllegalArgumentException(op + ": classes must be >= 1, got " + classes);
        }
        int[] ls = labels.shape();
        int rank = ls.length + 1;
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for an output of rank "
                    + rank + " (labels " + Shapes.str(ls) + ")");
        }
        return a;
    }

    /** The labels' shape with a class dimension of {@code classes} inserted at axis {@code a}. */
    public static int[] oneHotShape(int[] labelShape, int classes, int a) {
        int[] outShape = new int[labelShape.length + 1];
        for (int d = 0, j = 0; d < outShape.length; d++) {
            outShape[d] = d == a ? classes : labelShape[j++];
        }
        return Shapes.validate("oneHot", outShape);
    }

    /** The error for an index value {@code v} outside dimension {@code axis} of {@code shape}. */
    public static IndexOutOfBoundsException outOfRange(String op, int v, int axis, int[] shape) {
        return new IndexOutOfBoundsException(op + ": index " + v + " is out of range for dimension " + axis
                + " of extent " + shape[axis] + " (shape " + Shapes.str(shape) + ")");
    }

    /** Checks index (int32, same rank, extents no larger off the axis) against a shape; returns the axis. */
    private static int index(String op, String what, int[] shape, int axis, NDArray index) {
        Checks.dtype(op, "index", index, DType.INT32);
        int[] is = index.shape();
        if (is.length != shape.length) {
            throw new IllegalArgumentException(op + ": index must have the rank of " + what + ", got index "
                    + Shapes.str(is) + " for " + what + " " + Shapes.str(shape));
        }
        int a = Checks.axis(op, axis, what, shape);
        for (int d = 0; d < shape.length; d++) {
            if (d != a && is[d] > shape[d]) {
                throw new IllegalArgumentException(op + ": index " + Shapes.str(is) + " is larger than " + what + " "
                        + Shapes.str(shape) + " in dimension " + d + " (only the axis " + a + " may differ freely)");
            }
        }
        return a;
    }
}
