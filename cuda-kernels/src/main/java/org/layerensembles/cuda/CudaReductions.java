package org.layerensembles.cuda;

import java.util.Arrays;
import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.ReduceShapes;

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
        boolean[] reduced = ReduceShapes.reducedAxes(name, shape, axes);
        long count = ReduceShapes.reducedCount(name, op, shape, reduced);
        NDArray out = gpu.empty(DType.FLOAT32, ReduceShapes.outShape(shape, reduced, keepDims));
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
        int a = ReduceShapes.argmaxAxis(shape, axis);
        NDArray out = gpu.empty(DType.INT32, ReduceShapes.argmaxShape(shape, a, keepDims));
        boolean[] reduced = new boolean[shape.length];
        reduced[a] = true;
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
        int[] axes = ReduceShapes.sumToAxes(x.shape(), target);
        if (axes.length == 0) {
            NDArray out = gpu.empty(DType.FLOAT32, target);
            gpu.copyStrided(x, out.reshape(x.shape()));
            return out;
        }
        return reduce(ReduceOp.SUM, x, axes, true).reshape(target);
    }

    // ---- layout

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
