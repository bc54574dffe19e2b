package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.SoftmaxChecks;

/**
 * Softmax and log-softmax along any axis on the GPU (softmax.cu), forward and backward, with the
 * CPU backend's checks and messages. Inputs are made contiguous and seen as [outer, K, inner];
 * one thread handles one line of K values.
 */
final class CudaSoftmax {
    private static final String MODULE = "softmax";
    private final Gpu gpu;

    CudaSoftmax(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray forward(String op, NDArray x, int axis, boolean log) {
        int a = SoftmaxChecks.forward(op, x, axis);
        gpu.require(op, "x", x);
        NDArray xc = gpu.contiguous(x);
        NDArray out = gpu.empty(DType.FLOAT32, x.shape());
        launch("softmax_forward", KernelArgs.create().ptr(Gpu.address(xc)).ptr(Gpu.address(out)), log, out, a);
        return out;
    }

    NDArray backward(String op, NDArray y, NDArray gradY, int axis, boolean log) {
        int a = SoftmaxChecks.backward(op, y, gradY, axis);
        gpu.require(op, "y", y);
        gpu.require(op, "gradY", gradY);
        NDArray yc = gpu.contiguous(y);
        NDArray gc = gpu.contiguous(gradY);
        NDArray out = gpu.empty(DType.FLOAT32, y.shape());
        launch("softmax_backward", KernelArgs.create().ptr(Gpu.address(yc)).ptr(Gpu.address(gc))
                .ptr(Gpu.address(out)), log, out, a);
        return out;
    }

    /** Adds {@code int logMode, long long lines, int k, int inner} and launches one thread per line. */
    private void launch(String kernel, KernelArgs args, boolean log, NDArray out, int axis) {
        if (out.numel() == 0) {
            return;
        }
        int[] shape = out.shape();
        int k = shape[axis];
        long inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        long lines = out.numel() / k;
        gpu.launchElements(MODULE, kernel, lines, args.i32(log ? 1 : 0).i64(lines).i32(k).i32((int) inner));
    }
}
