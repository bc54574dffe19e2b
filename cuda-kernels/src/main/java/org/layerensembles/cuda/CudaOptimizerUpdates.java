package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.AdamUpdate;
import org.layerensembles.core.backend.SgdUpdate;

/**
 * Optimizer updates on the GPU (optim.cu), in place on contiguous float32 arrays, with the CPU
 * backend's checks and its float32 scalars (each derived constant rounded once, as
 * core/cpu/CpuOptimizerUpdates does), so a step gives the CPU's bits. The sum of squares is
 * reduced in fixed slices and read back (this waits for the stream).
 */
final class CudaOptimizerUpdates {
    private static final String MODULE = "optim";
    /** Elements per block of the sum of squares. */
    private static final int CHUNK = 1 << 16;

    private final Gpu gpu;

    CudaOptimizerUpdates(Gpu gpu) {
        this.gpu = gpu;
    }

    void adam(NDArray param, NDArray grad, NDArray m, NDArray v, AdamUpdate s) {
        int n = checkSame("adamUpdate", param, grad, m, v);
        gpu.launchElements(MODULE, "adam_update", n, KernelArgs.create().ptr(Gpu.address(param))
                .ptr(Gpu.address(grad)).ptr(Gpu.address(m)).ptr(Gpu.address(v)).i32(n).f32((float) s.decay())
                .f32((float) s.l2()).f32((float) s.beta1()).f32((float) (1 - s.beta1())).f32((float) s.beta2())
                .f32((float) (1 - s.beta2())).f32((float) s.bc2Sqrt()).f32((float) s.eps())
                .f32((float) -s.stepSize()));
    }

    void sgd(NDArray param, NDArray grad, NDArray buffer, SgdUpdate s) {
        boolean momentum = s.momentum() != 0;
        if (momentum && buffer == null) {
            throw new IllegalArgumentException("sgdUpdate: momentum " + s.momentum() + " needs a momentum buffer");
        }
        int n = momentum ? checkSame("sgdUpdate", param, grad, buffer) : checkSame("sgdUpdate", param, grad);
        gpu.launchElements(MODULE, "sgd_update", n, KernelArgs.create().ptr(Gpu.address(param))
                .ptr(Gpu.address(grad)).ptr(momentum ? Gpu.address(buffer) : 0).i32(n).f32((float) -s.lr())
                .f32((float) s.weightDecay()).f32((float) s.momentum()).f32((float) (1 - s.dampening()))
                .i32(s.nesterov() ? 1 : 0).i32(s.firstStep() ? 1 : 0));
    }

    double sumOfSquares(NDArray x) {
        long n = checkSame("sumOfSquares", x);
        if (n == 0) {
            return 0;
        }
        int blocks = (int) ((n + CHUNK - 1) / CHUNK);
        try (Gpu.Scratch partials = gpu.scratch(8L * blocks); Gpu.Scratch result = gpu.scratch(8)) {
            gpu.launch(MODULE, "sum_squares_blocks", Grid.of(blocks), Block.of(Gpu.THREADS), 0,
                    KernelArgs.create().ptr(Gpu.address(x)).i64(n).i32(CHUNK).ptr(partials.address));
            gpu.launch(MODULE, "sum_partials", Grid.of(1), Block.of(32), 0,
                    KernelArgs.create().ptr(partials.address).i32(blocks).ptr(result.address));
            return gpu.readDoubles(result.address, 1)[0];
        }
    }

    void scale(NDArray x, double factor) {
        int n = checkSame("scaleInPlace", x);
        gpu.launchElements(MODULE, "scale_inplace", n, KernelArgs.create().ptr(Gpu.address(x)).i32(n)
                .f32((float) factor));
    }

    /** All arrays contiguous float32 on this device with the first one's element count; returns that count. */
    private int checkSame(String op, NDArray... xs) {
        long n = xs[0].numel();
        for (NDArray x : xs) {
            if (x.dtype() != DType.FLOAT32 || !x.isContiguous() || x.numel() != n) {
                throw new IllegalArgumentException(op + ": needs contiguous float32 arrays of " + n
                        + " elements, got " + x.dtype() + " " + java.util.Arrays.toString(x.shape())
                        + (x.isContiguous() ? "" : " (not contiguous)"));
            }
            gpu.require(op, "array", x);
        }
        return Math.toIntExact(n);
    }
}
