package org.layerensembles.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.ReduceOp;

/**
 * Reductions on the GPU (reduce.cu): sum, mean, max, min over axes, argmax and sumTo, with the
 * CPU backend's semantics and messages (sums in double, NaN wins in max/min, MEAN over nothing is
 * NaN, MAX/MIN over nothing throw).
 *
 * <p>Plan: the input is seen through its own strides as kept dimensions (the output's order) and
 * reduced dimensions. When the reduced elements of an output are few, or not contiguous while
 * there are many outputs, one thread reduces each output ({@code reduce_lines}; neighbouring
 * threads then read neighbouring memory). Otherwise blocks reduce slices of
 * {@value #CHUNK} elements of one output and, with several slices, a second kernel adds the
 * slices' partials in order. The choice and the slices depend only on the shapes and strides, so a
 * result is the same bits on every run.
 */
final class CudaReductions {
    private static final String MODULE = "reduce";
    /** Reduced elements per block. */
    static final int CHUNK = 1 << 14;
    /** Below this many reduced elements per output, one thread per output. */
    private static final int FEW = 256;
    private static final int MANY_OUTPUTS = 1024;

    private final Gpu gpu;

    CudaReductions(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray reduce(ReduceOp op, NDArray x, int[] axes, boolean keepDims) {
        Objects.requireNonNull(op, "reduce: op is null");
        String name = "reduce " + op;
        Checks.float32(name, "x", x);
        gpu.require(name, "x", x);
        int[] shape = x.shape();
        boolean[] reduced = reducedAxes(name, shape, axes);
        NDArray out = gpu.empty(DType.FLOAT32, outShape(shape, reduced, keepDims));
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            if (reduced[d]) {
                count *= shape[d];
            }
        }
        if (count == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN)) {
            throw new IllegalArgumentException(name + ": cannot reduce over zero elements of x " + Shapes.str(shape));
        }
        long outputs = out.numel();
        if (outputs == 0) {
            return out;
        }
        if (count == 0) {
            gpu.runtime().memsetD32(Gpu.address(out), Float.floatToRawIntBits(op == ReduceOp.SUM ? 0f : Float.NaN),
                    outputs);
            return out;
        }
        int[] strides = x.strides();
        StridedLayout kept = StridedLayout.of(name, select(shape, reduced, false), select(strides, reduced, false));
        StridedLayout red = StridedLayout.of(name, select(shape, reduced, true), select(strides, reduced, true));
        boolean innerContiguous = red.innerStride(0) == 1;
        KernelArgs args = KernelArgs.create().i32(op.ordinal()).ptr(Gpu.address(x)).ptr(Gpu.address(out));
        if (count < FEW || (!innerContiguous && outputs >= MANY_OUTPUTS)) {
            args.i32((int) outputs).i32((int) count);
            gpu.launchElements(MODULE, "reduce_lines", outputs, red.addTo(kept.addTo(args)));
            return out;
        }
        int splits = (int) ((count + CHUNK - 1) / CHUNK);
        long blocks = outputs * splits;
        try (Gpu.Scratch partials = gpu.scratch(splits > 1 ? 8 * blocks : 8)) {
            args.ptr(partials.address).i32(splits).i32(CHUNK).i32((int) count);
            gpu.launch(MODULE, "reduce_blocks", Grid.of(Math.toIntExact(blocks)), Block.of(Gpu.THREADS), 0,
                    red.addTo(kept.addTo(args)));
            if (splits > 1) {
                gpu.launchElements(MODULE, "reduce_combine", outputs, KernelArgs.create().i32(op.ordinal())
                        .ptr(partials.address).ptr(Gpu.address(out)).i32((int) outputs).i32(splits).i32((int) count));
            }
        }
        return out;
    }

    NDArray argmax(NDArray x, int axis, boolean keepDims) {
        Checks.float32("argmax", "x", x);
        gpu.require("argmax", "x", x);
        int[] shape = x.shape();
        if (axis < -shape.length || axis >= shape.length) {
            throw new IllegalArgumentException("argmax: axis " + axis + " is out of range for x of shape "
                    + Shapes.str(shape));
        }
        int a = axis < 0 ? axis + shape.length : axis;
        if (shape[a] == 0) {
            throw new IllegalArgumentException("argmax: axis " + axis + " of x " + Shapes.str(shape) + " is empty");
        }
        boolean[] reduced = new boolean[shape.length];
        reduced[a] = true;
        NDArray out = gpu.empty(DType.INT32, outShape(shape, reduced, keepDims));
        long outputs = out.numel();
        StridedLayout kept = StridedLayout.of("argmax", select(shape, reduced, false),
                select(x.strides(), reduced, false));
        gpu.launchElements(MODULE, "argmax_lines", outputs, kept.addTo(KernelArgs.create().ptr(Gpu.address(x))
                .ptr(Gpu.address(out)).i32((int) outputs).i32(shape[a]).i32(x.strides()[a])));
        return out;
    }

    NDArray sumTo(NDArray x, int... shape) {
        Checks.float32("sumTo", "x", x);
        Objects.requireNonNull(shape, "sumTo: shape is null");
        gpu.require("sumTo", "x", x);
        int[] target = Shapes.validate("sumTo", shape);
        int[] have = x.shape();
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
        if (axes.isEmpty()) {
            NDArray out = gpu.empty(DType.FLOAT32, target);
            gpu.copyStrided(x, out.reshape(have));
            return out;
        }
        int[] axisArray = axes.stream().mapToInt(Integer::intValue).toArray();
        return reduce(ReduceOp.SUM, x, axisArray, true).reshape(target);
    }

    // ---- validation and shapes (the CPU backend's rules and messages)

    private static boolean[] reducedAxes(String name, int[] shape, int[] axes) {
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

    private static int[] outShape(int[] shape, boolean[] reduced, boolean keepDims) {
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

    /** The entries of {@code values} at the dimensions that are (or are not) reduced. */
    private static int[] select(int[] values, boolean[] reduced, boolean which) {
        int[] out = new int[values.length];
        int n = 0;
        for (int d = 0; d < values.length; d++) {
            if (reduced[d] == which) {
                out[n++] = values[d];
            }
        }
        return Arrays.copyOf(out, n);
    }
}
