package org.layerensembles.core.reference;

import java.util.Arrays;
import org.layerensembles.core.backend.ReduceOp;

/**
 * Reference twin of the reductions ({@code cpu/CpuReductions}), in double precision on
 * row-major {@code double[]} data.
 *
 * <p>out[k] = op over all x[i] whose index agrees with k on the kept axes: SUM adds them, MEAN
 * divides that sum by their number, MAX/MIN take the extreme (NaN wins, as Math.max does).
 */
public final class ReductionRef {
    private ReductionRef() {
    }

    /** Which axes are reduced: the given ones (negative count from the end), or all when none. */
    public static boolean[] reducedAxes(int rank, int[] axes) {
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            Arrays.fill(reduced, true);
        } else {
            for (int a : axes) {
                reduced[a < 0 ? a + rank : a] = true;
            }
        }
        return reduced;
    }

    /** Shape of the result: reduced axes dropped, or kept with extent 1. */
    public static int[] reducedShape(int[] shape, int[] axes, boolean keepDims) {
        boolean[] reduced = reducedAxes(shape.length, axes);
        return Arrays.stream(indices(shape.length))
                .filter(d -> keepDims || !reduced[d])
                .map(d -> reduced[d] ? 1 : shape[d])
                .toArray();
    }

    public static double[] reduce(ReduceOp op, double[] x, int[] shape, int[] axes, boolean keepDims) {
        boolean[] reduced = reducedAxes(shape.length, axes);
        int[] keptShape = new int[shape.length]; // reduced axes at extent 1: the keepDims shape
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            keptShape[d] = reduced[d] ? 1 : shape[d];
            count *= reduced[d] ? shape[d] : 1;
        }
        double[] out = new double[RefArrays.numel(keptShape)];
        double start = switch (op) {
            case SUM, MEAN -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
        Arrays.fill(out, start);
        for (int i = 0; i < x.length; i++) {
            int[] index = RefArrays.unflat(shape, i);
            for (int d = 0; d < shape.length; d++) {
                if (reduced[d]) {
                    index[d] = 0;
                }
            }
            int k = RefArrays.flat(keptShape, index);
            out[k] = switch (op) {
                case SUM, MEAN -> out[k] + x[i];
                case MAX -> Math.max(out[k], x[i]);
                case MIN -> Math.min(out[k], x[i]);
            };
        }
        if (op == ReduceOp.MEAN) {
            for (int k = 0; k < out.length; k++) {
                out[k] /= count;
            }
        }
        return out;
    }

    /**
     * Index along {@code axis} of the largest element of each line (the first one on ties; NaN
     * counts as largest). The result has the shape with that axis removed (or kept at 1).
     */
    public static int[] argmax(double[] x, int[] shape, int axis) {
        int a = axis < 0 ? axis + shape.length : axis;
        int[] keptShape = shape.clone();
        keptShape[a] = 1;
        int[] best = new int[RefArrays.numel(keptShape)];
        double[] bestValue = new double[best.length];
        Arrays.fill(bestValue, Double.NEGATIVE_INFINITY);
        boolean[] seen = new boolean[best.length];
        for (int i = 0; i < x.length; i++) {
            int[] index = RefArrays.unflat(shape, i);
            int along = index[a];
            index[a] = 0;
            int k = RefArrays.flat(keptShape, index);
            double v = x[i];
            boolean better = !seen[k]
                    || (!Double.isNaN(bestValue[k]) && (v > bestValue[k] || Double.isNaN(v)));
            if (better) {
                seen[k] = true;
                bestValue[k] = v;
                best[k] = along;
            }
        }
        return best;
    }

    /**
     * The gradient of broadcasting: sums x (of shape {@code shape}) down to {@code target},
     * of which {@code shape} is a broadcast. out[j] = sum of x[i] over the i that read j.
     */
    public static double[] sumTo(double[] x, int[] shape, int[] target) {
        double[] out = new double[RefArrays.numel(target)];
        for (int i = 0; i < x.length; i++) {
            out[ElementwiseRef.source(target, RefArrays.unflat(shape, i))] += x[i];
        }
        return out;
    }

    private static int[] indices(int n) {
        int[] r = new int[n];
        Arrays.setAll(r, i -> i);
        return r;
    }
}
