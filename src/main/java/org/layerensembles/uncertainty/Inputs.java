package org.layerensembles.uncertainty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;

/** Checked, contiguous inputs shared by {@link Uncertainty} and {@link FusedUncertainty}. */
record Inputs(List<NDArray> heads, NDArray groundTruth, int t, int n, int c, int h, int w) {

    int pixels() {
        return h * w;
    }

    static Inputs check(String op, List<NDArray> headProbabilities, NDArray groundTruth, UncertaintyOptions options) {
        if (options == null) {
            throw new IllegalArgumentException(op + ": options are null (use UncertaintyOptions.defaults())");
        }
        if (headProbabilities == null || headProbabilities.isEmpty()) {
            throw new IllegalArgumentException(op + ": at least one head's probabilities are needed");
        }
        int[] shape = null;
        List<NDArray> heads = new ArrayList<>(headProbabilities.size());
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
            heads.add(p.contiguous());
        }
        int n = shape[0];
        int c = shape[1];
        int h = shape[2];
        int w = shape[3];
        if (n < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException(op + ": empty input of shape " + Arrays.toString(shape));
        }
        if (c < 2) {
            throw new IllegalArgumentException(op + ": at least 2 classes (background and foreground) are needed, got "
                    + c);
        }
        if ((long) c * h * w > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException(op + ": image too large " + Arrays.toString(shape));
        }
        NDArray gt = null;
        if (groundTruth != null) {
            if (groundTruth.dtype() != DType.INT32 || !Arrays.equals(groundTruth.shape(), new int[] {n, h, w})) {
                throw new IllegalArgumentException(op + ": ground truth must be int32 [" + n + ", " + h + ", " + w
                        + "], got " + groundTruth);
            }
            gt = groundTruth.contiguous();
        }
        return new Inputs(List.copyOf(heads), gt, heads.size(), n, c, h, w);
    }

    static IllegalArgumentException badLabel(int label, int classes, long index) {
        return new IllegalArgumentException("ground truth label " + label + " at element " + index
                + " is outside [0, " + classes + ")");
    }

    /** DSC from the intersection and the sum of the two sizes; 1.0 when both masks are empty. */
    static double dice(long intersection, long sizeSum) {
        return sizeSum == 0 ? 1.0 : 2.0 * intersection / sizeSum;
    }

    /** Trapezoid area with unit spacing: Σ a_k - (a_first + a_last)/2; NaN for an empty curve. */
    static double aula(double[] a) {
        if (a.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s - (a[0] + a[a.length - 1]) / 2;
    }
}
