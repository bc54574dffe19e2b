package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.IndexChecks;

/**
 * Gather along an axis, its gradient and one-hot encoding on the GPU (index.cu), with the CPU
 * backend's checks and messages. An index or label out of range cannot throw inside a kernel:
 * the kernel records it in a two-int error record, which is read back after the launch (this
 * waits for the stream) and turned into the CPU backend's exception.
 */
final class CudaIndexing {
    private static final String MODULE = "index";
    private final Gpu gpu;

    CudaIndexing(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray gather(NDArray x, int axis, NDArray index) {
        String op = "gather";
        int a = IndexChecks.gather(x, axis, index);
        gpu.require(op, "x", x);
        gpu.require(op, "index", index);
        int[] is = index.shape();
        NDArray out = gpu.empty(x.dtype(), is);
        long n = out.numel();
        if (n == 0) {
            return out;
        }
        NDArray ic = gpu.contiguous(index);
        StridedLayout l = StridedLayout.of(op, is, x.strides());
        try (Gpu.Scratch error = gpu.scratch(8)) {
            gpu.runtime().memsetD32(error.address, 0, 2);
            gpu.launchElements(MODULE, "gather_axis", n, l.addTo(KernelArgs.create().ptr(Gpu.address(x))
                    .ptr(Gpu.address(ic)).ptr(Gpu.address(out)).ptr(error.address).i32((int) n).i32(x.size(a))
                    .i64(x.strides()[a]).i32(is[a]).i32(inner(is, a))));
            checkError(op, error.address, a, x.shape());
        }
        return out;
    }

    NDArray gatherBackward(NDArray gradY, int axis, NDArray index, int[] inputShape) {
        String op = "gatherBackward";
        int a = IndexChecks.gatherBackward(gradY, axis, index, inputShape);
        int[] shape = inputShape.clone();
        gpu.require(op, "gradY", gradY);
        gpu.require(op, "index", index);
        NDArray out = gpu.empty(DType.FLOAT32, shape);
        gpu.runtime().memsetD32(Gpu.address(out), 0, out.numel());
        if (index.numel() == 0) {
            return out;
        }
        int[] is = index.shape();
        NDArray ic = gpu.contiguous(index);
        NDArray gc = gpu.contiguous(gradY);
        long columns = index.numel() / is[a];
        StridedLayout l = StridedLayout.of(op, is, out.strides());
        try (Gpu.Scratch error = gpu.scratch(8)) {
            gpu.runtime().memsetD32(error.address, 0, 2);
            gpu.launchElements(MODULE, "gather_backward", columns, l.addTo(KernelArgs.create().ptr(Gpu.address(gc))
                    .ptr(Gpu.address(ic)).ptr(Gpu.address(out)).ptr(error.address).i32((int) columns)
                    .i32(shape[a]).i64(out.strides()[a]).i32(is[a]).i32(inner(is, a))));
            checkError(op, error.address, a, shape);
        }
        return out;
    }

    NDArray oneHot(NDArray labels, int classes, int axis) {
        String op = "oneHot";
        int a = IndexChecks.oneHot(labels, classes, axis);
        gpu.require(op, "labels", labels);
        int[] ls = labels.shape();
        NDArray out = gpu.empty(DType.FLOAT32, IndexChecks.oneHotShape(ls, classes, a));
        long total = out.numel();
        if (total == 0) {
            return out;
        }
        NDArray lc = gpu.contiguous(labels);
        try (Gpu.Scratch error = gpu.scratch(8)) {
            gpu.runtime().memsetD32(error.address, 0, 2);
            gpu.launchElements(MODULE, "one_hot", total, KernelArgs.create().ptr(Gpu.address(lc)).ptr(Gpu.address(out))
                    .ptr(error.address).i64(total).i32(classes).i32((int) (labels.numel() / product(ls, 0, a))));
            int[] e = gpu.readError(error.address);
            if (e[0] != 0) {
                throw new IllegalArgumentException(op + ": label " + e[1] + " of labels " + Shapes.str(ls)
                        + " is outside [0, " + classes + ")");
            }
        }
        return out;
    }

    private void checkError(String op, long address, int axis, int[] shape) {
        int[] e = gpu.readError(address);
        if (e[0] != 0) {
            throw IndexChecks.outOfRange(op, e[1], axis, shape);
        }
    }

    /** Product of the extents after the axis. */
    private static int inner(int[] shape, int axis) {
        return (int) product(shape, axis + 1, shape.length);
    }

    private static long product(int[] shape, int from, int to) {
        long p = 1;
        for (int d = from; d < to; d++) {
            p *= shape[d];
        }
        return p;
    }
}
