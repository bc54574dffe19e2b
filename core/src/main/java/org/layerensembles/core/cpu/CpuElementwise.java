package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.ElementwiseChecks;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Elementwise primitives of the CPU backend: fill, cast, unary maps and their gradients,
 * broadcasting binary ops, clamp, where. Semantics are those of
 * {@link org.layerensembles.core.backend.Backend}.
 *
 * <p>Each op validates its arguments, allocates a contiguous result and walks it with a
 * {@link BroadcastLoop}, which reduces any layout to rows; the row kernels
 * ({@link UnaryKernels}, {@link BinaryKernels}) run Vector API loops on rows where the inputs
 * are contiguous or constant and a scalar loop elsewhere. No input is copied first.
 */
final class CpuElementwise {
    private CpuElementwise() {
    }

    /** Sets every element of {@code out} (any view) to {@code value}; int32 needs an integer value. */
    public static void fill(NDArray out, double value) {
        Objects.requireNonNull(out, "fill: out is null");
        int bits = ElementwiseChecks.fillBits(out, value);
        MemorySegment seg = out.segment();
        BroadcastLoop loop = new BroadcastLoop(out.shape(), out);
        int stride = loop.innerStride(0);
        loop.run((o, n) -> UnaryKernels.fillRow(bits, seg, o[0], stride, n));
    }

    /** float32 to int32 (truncation toward zero; NaN gives 0; out-of-range values saturate) or back. */
    public static NDArray cast(NDArray x, DType dtype) {
        Objects.requireNonNull(x, "cast: x is null");
        Objects.requireNonNull(dtype, "cast: dtype is null");
        NDArray out = NDArrays.empty(dtype, x.shape());
        if (x.dtype() == dtype) {
            StridedCopy.copy(x, out);
            return out;
        }
        BroadcastLoop loop = new BroadcastLoop(out.shape(), out, x);
        MemorySegment in = x.segment();
        MemorySegment res = out.segment();
        int sx = loop.innerStride(1);
        if (dtype == DType.INT32) {
            loop.run((o, n) -> UnaryKernels.floatToIntRow(in, o[1], sx, res, o[0], n));
        } else {
            loop.run((o, n) -> UnaryKernels.intToFloatRow(in, o[1], sx, res, o[0], n));
        }
        return out;
    }

    /** y = op(x) elementwise, float32. */
    public static NDArray unary(UnaryOp op, NDArray x) {
        Objects.requireNonNull(op, "unary: op is null");
        Checks.float32("unary " + op, "x", x);
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        BroadcastLoop loop = new BroadcastLoop(out.shape(), out, x);
        MemorySegment in = x.segment();
        MemorySegment res = out.segment();
        int sx = loop.innerStride(1);
        loop.run((o, n) -> UnaryKernels.unaryRow(op, in, o[1], sx, res, o[0], n));
        return out;
    }

    /**
     * dL/dx of y = op(x). The derivative is written in terms of y for EXP, SQRT, SIGMOID, TANH and
     * of x for LOG, ABS, RELU (NEG needs neither); the one needed must be given, with gradY's shape.
     */
    public static NDArray unaryBackward(UnaryOp op, NDArray x, NDArray y, NDArray gradY) {
        NDArray p = ElementwiseChecks.unaryBackwardOperand(op, x, y, gradY);
        NDArray out = NDArrays.empty(DType.FLOAT32, gradY.shape());
        BroadcastLoop loop = new BroadcastLoop(out.shape(), out, p, gradY);
        MemorySegment ps = p.segment();
        MemorySegment gs = gradY.segment();
        MemorySegment res = out.segment();
        int sp = loop.innerStride(1);
        int sg = loop.innerStride(2);
        loop.run((o, n) -> UnaryKernels.backwardRow(op, ps, o[1], sp, gs, o[2], sg, res, o[0], n));
        return out;
    }

    /** a op b with NumPy broadcasting; float32; comparisons give 1.0 or 0.0. */
    public static NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        Objects.requireNonNull(op, "binary: op is null");
        String name = "binary " + op;
        Checks.float32(name, "a", a);
        Checks.float32(name, "b", b);
        int[] shape = Shapes.broadcast(name, a.shape(), b.shape());
        NDArray out = NDArrays.empty(DType.FLOAT32, shape);
        runBinary(op, a, b, out, new BroadcastLoop(shape, out, a, b));
        return out;
    }

    /** out = a op b with a and b broadcast to out's shape; out may be a itself. */
    public static void binaryInto(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        Objects.requireNonNull(op, "binaryInto: op is null");
        String name = "binaryInto " + op;
        ElementwiseChecks.binaryInto(name, a, b, out);
        int[] shape = out.shape();
        BroadcastLoop loop = new BroadcastLoop(shape, out, a, b);
        if (loop.innerStride(0) != 1 && out.numel() > 1) {
            // The row kernels write unit-stride rows; a strided out gets the result by a copy.
            StridedCopy.copy(binary(op, a.broadcastTo(shape), b), out);
            return;
        }
        runBinary(op, a, b, out, loop);
    }

    /** The row kernel over the loop's rows; out's rows must be unit-stride. */
    private static void runBinary(BinaryOp op, NDArray a, NDArray b, NDArray out, BroadcastLoop loop) {
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment res = out.segment();
        int sa = loop.innerStride(1);
        int sb = loop.innerStride(2);
        loop.run((o, n) -> BinaryKernels.binaryRow(op, as, o[1], sa, bs, o[2], sb, res, o[0], n));
    }

    /** min(max(x, min), max); needs min <= max. */
    public static NDArray clamp(NDArray x, double min, double max) {
        Checks.float32("clamp", "x", x);
        ElementwiseChecks.clampBounds("clamp", min, max);
        float lo = (float) min;
        float hi = (float) max;
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        BroadcastLoop loop = new BroadcastLoop(out.shape(), out, x);
        MemorySegment in = x.segment();
        MemorySegment res = out.segment();
        int sx = loop.innerStride(1);
        loop.run((o, n) -> UnaryKernels.clampRow(lo, hi, in, o[1], sx, res, o[0], n));
        return out;
    }

    /** gradY where min <= x <= max, else 0 (also 0 where x is NaN). */
    public static NDArray clampBackward(NDArray x, NDArray gradY, double min, double max) {
        Checks.float32("clampBackward", "x", x);
        Checks.float32("clampBackward", "gradY", gradY);
        Checks.sameShape("clampBackward", "x", x, "gradY", gradY);
        ElementwiseChecks.clampBounds("clampBackward", min, max);
        float lo = (float) min;
        float hi = (float) max;
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        BroadcastLoop loop = new BroadcastLoop(out.shape(), out, x, gradY);
        MemorySegment xs = x.segment();
        MemorySegment gs = gradY.segment();
        MemorySegment res = out.segment();
        int sx = loop.innerStride(1);
        int sg = loop.innerStride(2);
        loop.run((o, n) -> UnaryKernels.clampBackwardRow(lo, hi, xs, o[1], sx, gs, o[2], sg, res, o[0], n));
        return out;
    }

    /**
     * a where condition != 0, else b; all three broadcast. The condition is float32 or int32;
     * a and b share a dtype (float32 or int32), which the result has.
     */
    public static NDArray where(NDArray condition, NDArray a, NDArray b) {
        int[] shape = ElementwiseChecks.whereShape(condition, a, b);
        NDArray out = NDArrays.empty(a.dtype(), shape);
        BroadcastLoop loop = new BroadcastLoop(shape, out, condition, a, b);
        boolean intCondition = condition.dtype() == DType.INT32;
        MemorySegment cs = condition.segment();
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment res = out.segment();
        int sc = loop.innerStride(1);
        int sa = loop.innerStride(2);
        int sb = loop.innerStride(3);
        loop.run((o, n) ->
                BinaryKernels.whereRow(intCondition, cs, o[1], sc, as, o[2], sa, bs, o[3], sb, res, o[0], n));
        return out;
    }
}
