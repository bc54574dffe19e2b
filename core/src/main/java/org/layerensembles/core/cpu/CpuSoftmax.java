package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.SoftmaxChecks;

/**
 * Softmax and log-softmax along any axis of any rank, forward and backward. The twin is
 * {@link org.layerensembles.core.reference.SoftmaxRef}.
 *
 * <p>A contiguous array is viewed as [outer, K, inner] around the axis (K classes). When
 * inner > 1 (the common case: axis 1 of [N, C, H, W], small C, big H*W) the kernels vectorise
 * across neighbouring inner positions, which are unit-stride, and walk the strided class axis
 * lane-wise ({@link SoftmaxKernels}); when inner == 1 they vectorise along the contiguous row.
 * Every position's reduction is done by one task, so results do not depend on the thread count.
 */
final class CpuSoftmax {
    /** Inner positions one column unit covers. */
    private static final int TILE = 512;
    /** About how many elements one task covers. */
    private static final long TASK_ELEMENTS = 1 << 15;

    private CpuSoftmax() {
    }

    /** y = exp(x - max) / sum exp(x - max) along {@code axis} (negative counts from the end). */
    public static NDArray softmax(NDArray x, int axis) {
        return forward("softmax", x, axis, SoftmaxKernels::softmaxColumns, SoftmaxKernels::softmaxRow);
    }

    /** y = (x - max) - log(sum exp(x - max)) along {@code axis}. */
    public static NDArray logSoftmax(NDArray x, int axis) {
        return forward("logSoftmax", x, axis, SoftmaxKernels::logSoftmaxColumns, SoftmaxKernels::logSoftmaxRow);
    }

    /** dL/dx of y = softmax(x): y * (gradY - sum(gradY * y)) along {@code axis}. */
    public static NDArray softmaxBackward(NDArray y, NDArray gradY, int axis) {
        return backward("softmaxBackward", y, gradY, axis, SoftmaxKernels::softmaxBackwardColumns,
                SoftmaxKernels::softmaxBackwardRow);
    }

    /** dL/dx of y = logSoftmax(x): gradY - exp(y) * sum(gradY) along {@code axis}. */
    public static NDArray logSoftmaxBackward(NDArray y, NDArray gradY, int axis) {
        return backward("logSoftmaxBackward", y, gradY, axis, SoftmaxKernels::logSoftmaxBackwardColumns,
                SoftmaxKernels::logSoftmaxBackwardRow);
    }

    private static NDArray forward(String op, NDArray x, int axis, SoftmaxKernels.Columns columns,
                                   SoftmaxKernels.Row row) {
        int a = SoftmaxChecks.forward(op, x, axis);
        NDArray xc = x.contiguous();
        NDArray out = NDArrays.empty(DType.FLOAT32, x.shape());
        run(xc, xc, out, a, columns, row);
        return out;
    }

    private static NDArray backward(String op, NDArray y, NDArray gradY, int axis, SoftmaxKernels.Columns columns,
                                    SoftmaxKernels.Row row) {
        int a = SoftmaxChecks.backward(op, y, gradY, axis);
        NDArray yc = y.contiguous();
        NDArray gc = gradY.contiguous();
        NDArray out = NDArrays.empty(DType.FLOAT32, y.shape());
        run(yc, gc, out, a, columns, row);
        return out;
    }

    /** Applies a kernel over contiguous a and b (same shape) into out, split into fixed tasks. */
    private static void run(NDArray a, NDArray b, NDArray out, int axis, SoftmaxKernels.Columns columns,
                            SoftmaxKernels.Row row) {
        int[] shape = out.shape();
        if (out.numel() == 0) {
            return;
        }
        int k = shape[axis];
        long outer = product(shape, 0, axis);
        long inner = product(shape, axis + 1, shape.length);
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment os = out.segment();
        long ab = a.offset() * 4;
        long bb = b.offset() * 4;
        long ob = out.offset() * 4;
        if (inner == 1) {
            long rowsPerTask = Math.max(1, TASK_ELEMENTS / k);
            Parallel.forEach(Parallel.taskCount(outer, rowsPerTask), t -> {
                long end = Math.min(outer, (t + 1) * rowsPerTask);
                for (long r = t * rowsPerTask; r < end; r++) {
                    long e = 4 * r * k;
                    row.run(as, ab + e, bs, bb + e, os, ob + e, k);
                }
            });
        } else {
            int tile = (int) Math.min(inner, TILE);
            long tilesPerOuter = (inner + tile - 1) / tile;
            long units = outer * tilesPerOuter;
            long unitsPerTask = Math.max(1, TASK_ELEMENTS / ((long) k * tile));
            long stride = 4 * inner;
            Parallel.forEach(Parallel.taskCount(units, unitsPerTask), t -> {
                long end = Math.min(units, (t + 1) * unitsPerTask);
                for (long u = t * unitsPerTask; u < end; u++) {
                    long o = u / tilesPerOuter;
                    long i0 = (u % tilesPerOuter) * tile;
                    int count = (int) Math.min(tile, inner - i0);
                    long e = 4 * (o * k * inner + i0);
                    columns.run(as, ab + e, bs, bb + e, os, ob + e, k, stride, count);
                }
            });
        }
    }

    private static long product(int[] shape, int from, int to) {
        long p = 1;
        for (int d = from; d < to; d++) {
            p *= shape[d];
        }
        return p;
    }
}
