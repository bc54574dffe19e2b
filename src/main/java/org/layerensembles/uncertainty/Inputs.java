package org.layerensembles.uncertainty;

import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.HeadChecks;

/** Checked, contiguous inputs shared by {@link Uncertainty} and {@link FusedUncertainty}. */
record Inputs(List<NDArray> heads, NDArray groundTruth, int t, int n, int c, int h, int w) {

    int pixels() {
        return h * w;
    }

    static Inputs check(String op, List<NDArray> headProbabilities, NDArray groundTruth, UncertaintyOptions options) {
        if (options == null) {
            throw new IllegalArgumentException(op + ": options are null (use UncertaintyOptions.defaults())");
        }
        int[] shape = HeadChecks.probabilities(op, headProbabilities);
        List<NDArray> heads = new ArrayList<>(headProbabilities.size());
        for (NDArray p : headProbabilities) {
            heads.add(p.contiguous());
        }
        int n = shape[0];
        int h = shape[2];
        int w = shape[3];
        HeadChecks.groundTruth(op, groundTruth, n, h, w);
        NDArray gt = groundTruth == null ? null : groundTruth.contiguous();
        return new Inputs(List.copyOf(heads), gt, heads.size(), n, shape[1], h, w);
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
