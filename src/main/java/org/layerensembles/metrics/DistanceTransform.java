package org.layerensembles.metrics;

import java.util.Arrays;

/**
 * Exact Euclidean distance transform with anisotropic spacing: for every element of a grid, the
 * physical distance to the nearest {@code true} element of a mask ({@code +Infinity} everywhere
 * when the mask has none; 0 on the mask itself).
 *
 * <p>Algorithm: Felzenszwalb and Huttenlocher, "Distance Transforms of Sampled Functions" (2012).
 * The squared distance is separable, {@code d²(x) = min_p Σ_a w_a (x_a - p_a)²} with
 * {@code w_a = spacing[a]²}, so it is computed one axis at a time: each pass replaces every line
 * along the axis by the lower envelope of the parabolas {@code w (q - p)² + f(p)} of its values
 * (O(n) per line). Elements with {@code f = +∞} contribute no parabola; a line with none stays
 * infinite. The result is exact up to floating-point rounding (no chamfer or vector-propagation
 * approximation), in O(elements × rank) time.
 *
 * <p>Grids are row-major, last axis fastest: {@code [H, W]} or {@code [D, H, W]} (any rank ≥ 1
 * works). {@code spacing[a]} is the physical size of one step along axis {@code a}, in the same
 * order as {@code dims}.
 */
public final class DistanceTransform {
    private DistanceTransform() {
    }

    /**
     * Squared Euclidean distances (physical units squared) from every element to the nearest
     * {@code true} element of {@code mask}.
     *
     * @param mask    row-major mask of {@code Π dims} elements
     * @param dims    the grid's extents, e.g. {@code [H, W]} or {@code [D, H, W]}
     * @param spacing positive finite step sizes, one per axis, same order as {@code dims}
     * @return a new array, {@code +Infinity} everywhere when {@code mask} is all false
     */
    public static double[] squared(boolean[] mask, int[] dims, double[] spacing) {
        int n = checkGrid(mask.length, dims, spacing);
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = mask[i] ? 0.0 : Double.POSITIVE_INFINITY;
        }
        int maxLen = 0;
        for (int d : dims) {
            maxLen = Math.max(maxLen, d);
        }
        double[] f = new double[maxLen];
        double[] out = new double[maxLen];
        int[] v = new int[maxLen];
        double[] z = new double[maxLen + 1];
        int stride = n;
        for (int axis = 0; axis < dims.length; axis++) {
            int len = dims[axis];
            stride /= len; // elements between neighbours along this axis
            double w = spacing[axis] * spacing[axis];
            int block = len * stride;
            for (int outer = 0; outer < n; outer += block) {
                for (int inner = 0; inner < stride; inner++) {
                    int base = outer + inner;
                    for (int q = 0, i = base; q < len; q++, i += stride) {
                        f[q] = g[i];
                    }
                    envelope(f, len, w, out, v, z);
                    for (int q = 0, i = base; q < len; q++, i += stride) {
                        g[i] = out[q];
                    }
                }
            }
        }
        return g;
    }

    /** Euclidean distances (physical units): the square roots of {@link #squared}. */
    public static double[] distance(boolean[] mask, int[] dims, double[] spacing) {
        double[] g = squared(mask, dims, spacing);
        for (int i = 0; i < g.length; i++) {
            g[i] = Math.sqrt(g[i]);
        }
        return g;
    }

    /**
     * One 1-D pass: {@code out[q] = min_p w (q - p)² + f[p]} over the {@code n} first values of
     * {@code f} (lower envelope of parabolas; {@code v} holds the parabolas' vertices and
     * {@code z} the boundaries between them).
     */
    private static void envelope(double[] f, int n, double w, double[] out, int[] v, double[] z) {
        int k = -1;
        for (int q = 0; q < n; q++) {
            double fq = f[q];
            if (fq == Double.POSITIVE_INFINITY) {
                continue;
            }
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = Double.NEGATIVE_INFINITY;
                z[1] = Double.POSITIVE_INFINITY;
                continue;
            }
            double hq = fq + w * (double) q * q;
            double s;
            while (true) {
                int p = v[k];
                s = (hq - (f[p] + w * (double) p * p)) / (2.0 * w * (q - p));
                if (s <= z[k] && k > 0) {
                    k--;
                } else {
                    break;
                }
            }
            // with k == 0 and s <= z[0] = -inf impossible, s > z[k] holds here
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (k < 0) {
            Arrays.fill(out, 0, n, Double.POSITIVE_INFINITY);
            return;
        }
        k = 0;
        for (int q = 0; q < n; q++) {
            while (z[k + 1] < q) {
                k++;
            }
            int p = v[k];
            double dq = q - p;
            out[q] = w * dq * dq + f[p];
        }
    }

    /** Validates a grid; returns its element count. */
    static int checkGrid(int length, int[] dims, double[] spacing) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("distance transform: no dimensions");
        }
        if (spacing.length != dims.length) {
            throw new IllegalArgumentException("distance transform: " + spacing.length + " spacings for "
                    + dims.length + " dimensions " + Arrays.toString(dims));
        }
        long n = 1;
        for (int a = 0; a < dims.length; a++) {
            if (dims[a] <= 0) {
                throw new IllegalArgumentException("distance transform: dimensions " + Arrays.toString(dims)
                        + " must be positive");
            }
            if (!(spacing[a] > 0) || !Double.isFinite(spacing[a])) {
                throw new IllegalArgumentException("distance transform: spacing " + Arrays.toString(spacing)
                        + " must be positive and finite");
            }
            n *= dims[a];
        }
        if (n != length) {
            throw new IllegalArgumentException("distance transform: mask of " + length + " elements for dimensions "
                    + Arrays.toString(dims));
        }
        return Math.toIntExact(n);
    }
}
