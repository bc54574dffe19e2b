package org.layerensembles.cuda;

import java.util.Arrays;
import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.ElementwiseChecks;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Elementwise primitives on the GPU (elementwise.cu): fill, copy, cast, unary maps and their
 * gradients, broadcasting binary ops, clamp, where, with the checks and messages of the CPU
 * backend. Operands are read through their strides (broadcast dimensions have stride 0), so no
 * input is copied first. Op codes are the Java enums' ordinals, in the order the kernels list them.
 */
final class CudaElementwise {
    private static final String MODULE = "elementwise";
    private final Gpu gpu;

    CudaElementwise(Gpu gpu) {
        this.gpu = gpu;
    }

    void fill(NDArray out, double value) {
        Objects.requireNonNull(out, "fill: out is null");
        gpu.require("fill", "out", out);
        int bits = ElementwiseChecks.fillBits(out, value);
        long n = out.numel();
        if (out.isContiguous()) {
            gpu.runtime().memsetD32(Gpu.address(out), bits, n);
            return;
        }
        StridedLayout l = StridedLayout.of("fill", out.shape(), out.strides());
        gpu.launchElements(MODULE, "fill_words", n,
                l.addTo(KernelArgs.create().ptr(Gpu.address(out)).i32((int) n).i32(bits)));
    }

    void copy(NDArray src, NDArray dst) {
        if (!Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("copy: shapes " + Shapes.str(src.shape()) + " and "
                    + Shapes.str(dst.shape()) + " differ");
        }
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy: dtypes " + src.dtype() + " and " + dst.dtype() + " differ");
        }
        gpu.require("copy", "src", src);
        gpu.require("copy", "dst", dst);
        gpu.copyStrided(src, dst);
    }

    NDArray cast(NDArray x, DType dtype) {
        Objects.requireNonNull(x, "cast: x is null");
        Objects.requireNonNull(dtype, "cast: dtype is null");
        gpu.require("cast", "x", x);
        NDArray out = gpu.empty(dtype, x.shape());
        if (x.dtype() == dtype) {
            gpu.copyStrided(x, out);
            return out;
        }
        String kernel = dtype == DType.INT32 ? "cast_f32_i32" : "cast_i32_f32";
        launchMap(kernel, x, out, KernelArgs.create().ptr(Gpu.address(x)).ptr(Gpu.address(out)));
        return out;
    }

    NDArray unary(UnaryOp op, NDArray x) {
        Objects.requireNonNull(op, "unary: op is null");
        Checks.float32("unary " + op, "x", x);
        gpu.require("unary " + op, "x", x);
        NDArray out = gpu.empty(DType.FLOAT32, x.shape());
        launchMap("unary_map", x, out, KernelArgs.create().i32(op.ordinal()).ptr(Gpu.address(x)).ptr(Gpu.address(out)));
        return out;
    }

    /** Adds {@code int n, int rank, DIMS(shape), DIMS(sx)} for x read into a contiguous result, and launches. */
    private void launchMap(String kernel, NDArray x, NDArray out, KernelArgs args) {
        long n = out.numel();
        StridedLayout l = StridedLayout.of(kernel, x.shape(), x.strides());
        gpu.launchElements(MODULE, kernel, n, l.addTo(args.i32((int) n)));
    }

    NDArray unaryBackward(UnaryOp op, NDArray x, NDArray y, NDArray gradY) {
        NDArray p = ElementwiseChecks.unaryBackwardOperand(op, x, y, gradY);
        String name = "unaryBackward " + op;
        gpu.require(name, "gradY", gradY);
        gpu.require(name, ElementwiseChecks.usesOutput(op) ? "y" : "x", p);
        NDArray out = gpu.empty(DType.FLOAT32, gradY.shape());
        long n = out.numel();
        StridedLayout l = StridedLayout.of(name, gradY.shape(), p.strides(), gradY.strides());
        gpu.launchElements(MODULE, "unary_backward", n, l.addTo(KernelArgs.create().i32(op.ordinal())
                .ptr(Gpu.address(p)).ptr(Gpu.address(gradY)).ptr(Gpu.address(out)).i32((int) n)));
        return out;
    }

    NDArray binary(BinaryOp op, NDArray a, NDArray b) {
        Objects.requireNonNull(op, "binary: op is null");
        String name = "binary " + op;
        Checks.float32(name, "a", a);
        Checks.float32(name, "b", b);
        int[] shape = Shapes.broadcast(name, a.shape(), b.shape());
        NDArray out = gpu.empty(DType.FLOAT32, shape);
        launchBinary(name, op, gpu.operand(name, "a", a), gpu.operand(name, "b", b), out);
        return out;
    }

    void binaryInto(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        Objects.requireNonNull(op, "binaryInto: op is null");
        String name = "binaryInto " + op;
        ElementwiseChecks.binaryInto(name, a, b, out);
        gpu.require(name, "out", out);
        launchBinary(name, op, gpu.operand(name, "a", a), gpu.operand(name, "b", b), out);
    }

    private void launchBinary(String name, BinaryOp op, NDArray a, NDArray b, NDArray out) {
        int[] shape = out.shape();
        long n = out.numel();
        KernelArgs args = KernelArgs.create().i32(op.ordinal()).ptr(Gpu.address(a)).ptr(Gpu.address(b))
                .ptr(Gpu.address(out)).i32((int) n);
        if (a.isContiguous() && b.isContiguous() && out.isContiguous() && Arrays.equals(a.shape(), shape)
                && Arrays.equals(b.shape(), shape)) {
            gpu.launchElements(MODULE, "binary_flat", n, args);
            return;
        }
        StridedLayout l = StridedLayout.of(name, shape, StridedLayout.broadcastStrides(a, shape),
                StridedLayout.broadcastStrides(b, shape), out.strides());
        gpu.launchElements(MODULE, "binary_map", n, l.addTo(args));
    }

    NDArray clamp(NDArray x, double min, double max) {
        Checks.float32("clamp", "x", x);
        ElementwiseChecks.clampBounds("clamp", min, max);
        gpu.require("clamp", "x", x);
        NDArray out = gpu.empty(DType.FLOAT32, x.shape());
        launchMap("clamp_map", x, out, KernelArgs.create().ptr(Gpu.address(x)).ptr(Gpu.address(out))
                .f32((float) min).f32((float) max));
        return out;
    }

    NDArray clampBackward(NDArray x, NDArray gradY, double min, double max) {
        Checks.float32("clampBackward", "x", x);
        Checks.float32("clampBackward", "gradY", gradY);
        Checks.sameShape("clampBackward", "x", x, "gradY", gradY);
        ElementwiseChecks.clampBounds("clampBackward", min, max);
        gpu.require("clampBackward", "x", x);
        gpu.require("clampBackward", "gradY", gradY);
        NDArray out = gpu.empty(DType.FLOAT32, x.shape());
        long n = out.numel();
        StridedLayout l = StridedLayout.of("clampBackward", x.shape(), x.strides(), gradY.strides());
        gpu.launchElements(MODULE, "clamp_backward", n, l.addTo(KernelArgs.create().ptr(Gpu.address(x))
                .ptr(Gpu.address(gradY)).ptr(Gpu.address(out)).f32((float) min).f32((float) max).i32((int) n)));
        return out;
    }

    NDArray where(NDArray condition, NDArray a, NDArray b) {
        int[] shape = ElementwiseChecks.whereShape(condition, a, b);
        NDArray c = gpu.operand("where", "condition", condition);
        NDArray x = gpu.operand("where", "a", a);
        NDArray y = gpu.operand("where", "b", b);
        NDArray out = gpu.empty(a.dtype(), shape);
        long n = out.numel();
        StridedLayout l = StridedLayout.of("where", shape, StridedLayout.broadcastStrides(c, shape),
                StridedLayout.broadcastStrides(x, shape), StridedLayout.broadcastStrides(y, shape));
        gpu.launchElements(MODULE, "where_map", n, l.addTo(KernelArgs.create().ptr(Gpu.address(c))
                .i32(c.dtype() == DType.INT32 ? 1 : 0).ptr(Gpu.address(x)).ptr(Gpu.address(y))
                .ptr(Gpu.address(out)).i32((int) n)));
        return out;
    }
}
