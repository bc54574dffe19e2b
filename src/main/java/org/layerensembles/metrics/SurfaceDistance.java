package org.layerensembles.metrics;

import java.util.Arrays;

/**
 * Boundary distances between a predicted and a ground-truth mask (METHOD.md §6), in physical
 * units, all computed through exact Euclidean distance transforms ({@link DistanceTransform}), never
 * by pairwise loops.
 *
 * <p>Definitions, for masks A (prediction) and B (ground truth):
 * <ul>
 *   <li><b>Surface</b> ∂A = A minus its erosion by the cross-shaped structuring element:
 *       4-connected in 2-D, 6-connected in 3-D (in general, the 2·rank axis neighbours). Outside
 *       the grid counts as background, so mask elements on the grid's border are surface points
 *       (as scipy's {@code binary_erosion} with its default {@code border_value=0}).
 *   <li><b>Directed surface distances</b> from A to B: for every a ∈ ∂A, d(a, ∂B) = min over
 *       b ∈ ∂B of |a - b| (distance to B's surface, not to B: a surface point of A lying inside B
 *       still has a positive distance unless it is also on ∂B).
 *   <li><b>HD</b> = max(max_{a∈∂A} d(a, ∂B), max_{b∈∂B} d(b, ∂A)).
 *   <li><b>HD95</b> = max(P95{d(a, ∂B) : a ∈ ∂A}, P95{d(b, ∂A) : b ∈ ∂B}), with P95 the 95th
 *       percentile by NumPy's default ("linear") definition: sort the n values x₀ ≤ … ≤ x_{n-1},
 *       take position h = 0.95 (n - 1) and interpolate linearly between x_⌊h⌋ and x_⌈h⌉. (This is
 *       the METHOD.md rule, max over the two directions; medpy's {@code hd95} instead takes one
 *       percentile of both directions pooled.)
 *   <li><b>MHD</b> (modified Hausdorff distance, Dubuisson and Jain 1994), over all foreground
 *       points, not only the surface: d(x, S) = min_{s∈S} |x - s| (0 for x ∈ S), and
 *       MHD = max(mean_{b∈B} d(b, A), mean_{a∈A} d(a, B)).
 *   <li>Both masks empty: HD = HD95 = MHD = 0. Exactly one empty: all three are
 *       {@code +Infinity}; summaries replace it by their own documented rule.
 * </ul>
 *
 * <p>Grids are row-major ({@code [H, W]} or {@code [D, H, W]}); {@code spacing} gives the
 * physical step along each axis in the same order ({@code [sy, sx]} or {@code [sz, sy, sx]}).
 */
public final class SurfaceDistance {
    private SurfaceDistance() {
    }

    /**
     * All three distances between {@code pred} and {@code gt}.
     *
     * @param dims    {@code [H, W]} or {@code [D, H, W]}
     * @param spacing physical step per axis, same order as {@code dims}
     */
    public static SurfaceDistances compute(boolean[] pred, boolean[] gt, int[] dims, double[] spacing) {
        if (dims.length != 2 && dims.length != 3) {
            throw new IllegalArgumentException("surface distance: dimensions " + Arrays.toString(dims)
                    + " are neither [H, W] nor [D, H, W]");
        }
        int n = DistanceTransform.checkGrid(pred.length, dims, spacing);
        DistanceTransform.checkGrid(gt.length, dims, spacing);
        boolean anyPred = any(pred);
        boolean anyGt = any(gt);
        if (!anyPred && !anyGt) {
            return SurfaceDistances.BOTH_EMPTY;
        }
        if (!anyPred || !anyGt) {
            return SurfaceDistances.ONE_EMPTY;
        }
        boolean[] surfPred = surface(pred, dims);
        boolean[] surfGt = surface(gt, dims);

        double[] toSurfGt = DistanceTransform.squared(surfGt, dims, spacing);
        double[] toSurfPred = DistanceTransform.squared(surfPred, dims, spacing);
        double[] predToGt = sqrtAt(toSurfGt, surfPred);
        double[] gtToPred = sqrtAt(toSurfPred, surfGt);
        Arrays.sort(predToGt);
        Arrays.sort(gtToPred);
        double hd = Math.max(predToGt[predToGt.length - 1], gtToPred[gtToPred.length - 1]);
        double hd95 = Math.max(percentileSorted(predToGt, 95), percentileSorted(gtToPred, 95));

        double[] toGt = DistanceTransform.squared(gt, dims, spacing);
        double[] toPred = DistanceTransform.squared(pred, dims, spacing);
        double mhd = Math.max(meanSqrtAt(toGt, pred, n), meanSqrtAt(toPred, gt, n));
        return new SurfaceDistances(hd, hd95, mhd);
    }

    /** 2-D convenience: {@code compute(pred, gt, {h, w}, {sy, sx})}. */
    public static SurfaceDistances compute2d(boolean[] pred, boolean[] gt, int h, int w, double sy, double sx) {
        return compute(pred, gt, new int[] {h, w}, new double[] {sy, sx});
    }

    /**
     * The surface of a mask: its elements with at least one of the 2·rank axis neighbours outside
     * the mask (neighbours outside the grid count as outside the mask).
     */
    public static boolean[] surface(boolean[] mask, int[] dims) {
        int n = mask.length;
        long total = 1;
        for (int d : dims) {
            total *= d;
        }
        if (total != n) {
            throw new IllegalArgumentException("surface: mask of " + n + " elements for dimensions "
                    + Arrays.toString(dims));
        }
        int rank = dims.length;
        int[] strides = new int[rank];
        int s = 1;
        for (int a = rank - 1; a >= 0; a--) {
            strides[a] = s;
            s *= dims[a];
        }
        boolean[] out = new boolean[n];
        int[] coord = new int[rank];
        for (int i = 0; i < n; i++) {
            if (mask[i]) {
                boolean interior = true;
                for (int a = 0; a < rank && interior; a++) {
                    int c = coord[a];
                    interior = c > 0 && c < dims[a] - 1 && mask[i - strides[a]] && mask[i + strides[a]];
                }
                out[i] = !interior;
            }
            // advance the row-major coordinate
            for (int a = rank - 1; a >= 0; a--) {
                if (++coord[a] < dims[a]) {
                    break;
                }
                coord[a] = 0;
            }
        }
        return out;
    }

    /**
     * The {@code q}-th percentile (0..100) of ascending {@code sorted} values by NumPy's default
     * linear interpolation: position h = (q/100)(n - 1), value x_⌊h⌋ + (h - ⌊h⌋)(x_⌊h⌋+1 - x_⌊h⌋)
     * (evaluated from the upper end when the fraction is ≥ 0.5, as NumPy does).
     */
    public static double percentileSorted(double[] sorted, double q) {
        int n = sorted.length;
        if (n == 0) {
            throw new IllegalArgumentException("percentile of no values");
        }
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile " + q + " is outside [0, 100]");
        }
        double h = (q / 100.0) * (n - 1);
        int lo = (int) Math.floor(h);
        if (lo >= n - 1) {
            return sorted[n - 1];
        }
        double t = h - lo;
        double a = sorted[lo];
        double b = sorted[lo + 1];
        double diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    private static boolean any(boolean[] m) {
        for (boolean b : m) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    /** sqrt(squared[i]) for every i where {@code where[i]}, in index order. */
    private static double[] sqrtAt(double[] squared, boolean[] where) {
        int count = 0;
        for (boolean b : where) {
            if (b) {
                count++;
            }
        }
        double[] out = new double[count];
        int k = 0;
        for (int i = 0; i < where.length; i++) {
            if (where[i]) {
                out[k++] = Math.sqrt(squared[i]);
            }
        }
        return out;
    }

    /** Mean of sqrt(squared[i]) over the elements where {@code where[i]} (summed in index order). */
    private static double meanSqrtAt(double[] squared, boolean[] where, int n) {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < n; i++) {
            if (where[i]) {
                sum += Math.sqrt(squared[i]);
                count++;
            }
        }
        return sum / count;
    }
}
