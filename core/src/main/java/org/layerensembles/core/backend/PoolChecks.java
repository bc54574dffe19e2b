package org.layerensembles.core.backend;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The argument checks of 2-D pooling's backward passes and of global average pooling, shared by
 * the backends so that both reject bad input with the same message. (The windowed forward
 * passes check through {@link Pool2dParams#outputShape}.)
 */
public final class PoolChecks {
    private PoolChecks() {
    }

    /**
     * Checks maxPool2dBackward's arguments: gradY float32 [N, C, OH, OW], indices int32 of its
     * shape, a valid input shape with gradY's N and C. Returns the input shape.
     */
    public static int[] maxPoolBackward(NDArray gradY, NDArray indices, int[] inputShape) {
        String op = "maxPool2dBackward";
        Checks.float32(op, "gradY", gradY);
        Checks.dtype(op, "indices", indices, DType.INT32);
        Checks.rank(op, "gradY", gradY, 4);
        Checks.sameShape(op, "gradY", gradY, "indices", indices);
        int[] in = inputShape(op, inputShape);
        int[] gy = gradY.shape();
        if (in[0] != gy[0] || in[1] != gy[1]) {
            throw new IllegalArgumentException(op + ": gradY " + Shapes.str(gy) + " and input " + Shapes.str(in)
                    + " differ in N or C");
        }
        return in;
    }

    /**
     * Checks avgPool2dBackward's arguments: gradY float32 with the pooled shape of a valid input
     * shape. Returns the input shape (the pooled shape is gradY's).
     */
    public static int[] avgPoolBackward(NDArray gradY, int[] inputShape, Pool2dParams p) {
        String op = "avgPool2dBackward";
        Checks.float32(op, "gradY", gradY);
        int[] in = inputShape(op, inputShape);
        int[] outShape = p.outputShape(op, in);
        Checks.sameShape(op, "gradY", gradY.shape(), "pooled output of input " + Shapes.str(in), outShape);
        return in;
    }

    /** Checks globalAvgPool2d's input: float32 [N, C, H, W] with non-empty planes. */
    public static void globalAvgPool(NDArray x) {
        String op = "globalAvgPool2d";
        Checks.float32(op, "input", x);
        Checks.rank(op, "input", x, 4);
        int[] in = x.shape();
        if (in[2] < 1 || in[3] < 1) {
            throw new IllegalArgumentException(op + ": input planes must not be empty, got " + Shapes.str(in));
        }
    }

    /**
     * Checks globalAvgPool2dBackward's arguments: gradY float32 [N, C, 1, 1] for a valid input
     * shape. Returns the input shape.
     */
    public static int[] globalAvgPoolBackward(NDArray gradY, int[] inputShape) {
        String op = "globalAvgPool2dBackward";
        Checks.float32(op, "gradY", gradY);
        int[] in = inputShape(op, inputShape);
        Checks.sameShape(op, "gradY", gradY.shape(), "pooled output", new int[] {in[0], in[1], 1, 1});
        return in;
    }

    private static int[] inputShape(String op, int[] inputShape) {
        int[] in = Checks.nchwInputShape(op, inputShape);
        if (in[2] < 1 || in[3] < 1) {
            throw new IllegalArgumentException(op + ": input planes must not be empty, got " + Shapes.str(in));
        }
        return in;
    }
}
