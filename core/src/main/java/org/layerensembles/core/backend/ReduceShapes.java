package org.layerensembles.core.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layerensembles.core.Shapes;

/**
 * Which axes a reduction (reduce, argmax, sumTo) reduces and the shape of its result, with the
 * checks every backend makes, so all of them reject bad axes with the same message.
 */
public final class ReduceShapes {
    private ReduceShapes() {
    }

    /**
     * The reduced dimensions of {@code shape} for {@code axes} (negative ones count from the end;
     * null or empty means all); throws naming {@code name} for an axis out of range or repeated.
     */
    public static boolean[] reducedAxes(String name, int[] shape, int[] axes) {
        boolean[] reduced = new boolean[shape.length];
        if (axes == null || axes.length == 0) {
            Arrays.fill(reduced, true);
            return reduced;
        }
        for (int axis : axes) {
            int a = axis < 0 ? axis + shape.length : axis;
            if (a < 0 || a >= shape.length) {
                throw new IllegalArgumentException(name + ": axis " + axis + " is out of range for x of shape "
                        + Shapes.str(shape));
            }
            if (reduced[a]) {
                throw new IllegalArgumentException(name + ": axis " + axis + " appears twice in "
                        + Arrays.toString(axes) + " for x of shape " + Shapes.str(shape));
            }
            reduced[a] = true;
        }
        return reduced;
    }

    /** The result's shape: reduced dimensions dropped, or kept with extent 1 under {@code keepDims}. */
    public static int[] outShape(int[] shape, boolean[] reduced, boolean keepDims) {
        int[] out = new int[shape.length];
        int n = 0;
        for (int d = 0; d < shape.length; d++) {
            if (!reduced[d]) {
                out[n++] = shape[d];
            } else if (keepDims) {
                out[n++] = 1;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * How many elements each output of {@code op} reduces; throws for MAX and MIN over zero
     * elements (SUM and MEAN over nothing have a value: 0 and NaN).
     */
    public static long reducedCount(String name, ReduceOp op, int[] shape, boolean[] reduced) {
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            if (reduced[d]) {
                count *= shape[d];
            }
        }
        if (count == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN)) {
            throw new IllegalArgumentException(name + ": cannot reduce over zero elements of x " + Shapes.str(shape));
        }
        return count;
    }

    /** argmax's axis (negative counts from the end) as 0..rank-1; it must exist and not be empty. */
    public static int argmaxAxis(int[] shape, int axis) {
        if (axis < -shape.length || axis >= shape.length) {
            throw new IllegalArgumentException("argmax: axis " + axis + " is out of range for x of shape "
                    + Shapes.str(shape));
        }
        int a = axis < 0 ? axis + shape.length : axis;
        if (shape[a] == 0) {
            throw new IllegalArgumentException("argmax: axis " + axis + " of x " + Shapes.str(shape) + " is empty");
        }
        return a;
    }

    /** argmax's result shape: axis {@code a} dropped, or kept with extent 1 under {@code keepDims}. */
    public static int[] argmaxShape(int[] shape, int a, boolean keepDims) {
        boolean[] reduced = new boolean[shape.length];
        reduced[a] = true;
        return outShape(shape, reduced, keepDims);
    }

    /**
     * The axes sumTo sums over to bring {@code have} down to {@code target}: the leading extra
     * dimensions and those where target has extent 1 and have does not. Throws when
     * {@code have} is not a broadcast of {@code target}.
     */
    public static int[] sumToAxes(int[] have, int[] target) {
        int lead = have.length - target.length;
        boolean ok = lead >= 0;
        List<Integer> axes = new ArrayList<>();
        for (int d = 0; ok && d < have.length; d++) {
            if (d < lead) {
                axes.add(d);
            } else if (target[d - lead] == 1 && have[d] != 1) {
                axes.add(d);
            } else {
                ok = target[d - lead] == have[d];
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("sumTo: x of shape " + Shapes.str(have) + " cannot be summed to shape "
                    + Shapes.str(target) + " (x's shape must be a broadcast of it)");
        }
        return axes.stream().mapToInt(Integer::intValue).toArray();
    }
}
