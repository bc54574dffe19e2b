package org.layerensembles.core.backend;

import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;

/**
 * The argument checks of the heads' agreement and uncertainty computation (the fused
 * Dice-agreement/AULA kernel): the heads' probabilities and the ground truth. Shared by the CPU
 * path (the product's uncertainty package) and the CUDA kernel, so that both reject bad input
 * with the same message.
 */
public final class HeadChecks {
    private HeadChecks() {
    }

    /**
     * Checks the heads' probabilities: at least one head, each float32 [N, C, H, W] of one shape,
     * with N, H, W >= 1, at least 2 classes (background and foreground) and C*H*W small enough to
     * index in an int. Returns that shape.
     */
    public static int[] probabilities(String op, List<NDArray> headProbabilities) {
        if (headProbabilities == null || headProbabilities.isEmpty()) {
            throw new IllegalArgumentException(op + ": at least one head's probabilities are needed");
        }
        int[] shape = null;
        for (int i = 0; i < headProbabilities.size(); i++) {
            NDArray p = headProbabilities.get(i);
            if (p == null) {
                throw new IllegalArgumentException(op + ": head " + i + " is null");
            }
            if (p.dtype() != DType.FLOAT32 || p.rank() != 4) {
                throw new IllegalArgumentException(op + ": head " + i + " must be float32 [N, C, H, W], got " + p);
            }
            if (shape == null) {
                shape = p.shape();
            } else if (!Arrays.equals(shape, p.shape())) {
                throw new IllegalArgumentException(op + ": head " + i + " has shape " + Arrays.toString(p.shape())
                        + " but head 0 has " + Arrays.toString(shape));
            }
        }
        int c = shape[1];
        if (shape[0] < 1 || shape[2] < 1 || shape[3] < 1) {
            throw new IllegalArgumentException(op + ": empty input of shape " + Arrays.toString(shape));
        }
        if (c < 2) {
            throw new IllegalArgumentException(op + ": at least 2 classes (background and foreground) are needed, got "
                    + c);
        }
        if ((long) c * shape[2] * shape[3] > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException(op + ": image too large " + Arrays.toString(shape));
        }
        return shape;
    }

    /** Checks the ground truth, when given, is int32 [N, H, W]. */
    public static void groundTruth(String op, NDArray groundTruth, int n, int h, int w) {
        if (groundTruth != null
                && (groundTruth.dtype() != DType.INT32 || !Arrays.equals(groundTruth.shape(), new int[] {n, h, w}))) {
            throw new IllegalArgumentException(op + ": ground truth must be int32 [" + n + ", " + h + ", " + w
                    + "], got " + groundTruth);
        }
    }
}
