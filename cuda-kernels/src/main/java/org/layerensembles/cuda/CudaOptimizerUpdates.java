package org.layerensembles.cuda;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.AdamUpdate;
import org.layerensembles.core.backend.SgdUpdate;
import org.layerensembles.core.backend.UpdateChecks;

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
        int n = UpdateChecks.flat("adamUpdate", param, grad, m, v);
        requireAll("adamUpdate", param, grad, m, v);
        gpu.launchElements(MODULE, "adam_update", n, KernelArgs.create().ptr(Gpu.address(param))
                .ptr(Gpu.address(grad)).ptr(Gpu.address(m)).ptr(Gpu.address(v)).i32(n).f32((float) s.decay())
                .f32((float) s.l2()).f32((float) s.beta1()).f32((float) (1 - s.beta1())).f32((float) s.beta2())
                .f32((float) (1 - s.beta2())).f32((float) s.bc2Sqrt()).f32((float) s.eps())
                .f32((float) -s.stepSize()));
    }

    void sgd(NDArray param, NDArray grad, NDArray buffer, SgdUpdate s) {
        boolean momentum = s.momentum() != 0;
        int n = UpdateChecks.sgd(param, grad, buffer, s);
        requireAll("sgdUpdate", param, grad);
        if (momentum) {
            requireAll("sgdUpdate", buffer);
        }
        gpu.launchElements(MODULE, "sgd_update", n, KernelArgs.create().ptr(Gpu.address(param))
                .ptr(Gpu.address(grad)).ptr(momentum ? Gpu.address(buffer) : 0).i32(n).f32((float) -s.lr())
                .f32((float) s.weightDecay()).f32((float) s.momentum()).f32((float) (1 - s.dampening()))
                .i32(s.nesterov() ? 1 : 0).i32(s.firstStep() ? 1 : 0));
    }

    double sumOfSquares(NDArray x) {
        long n = UpdateChecks.flat("sumOfSquares", x);
        requireAll("sumOfSquares", x);
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
        int n = UpdateChecks.flat("scaleInPlace", x);
        requireAll("scaleInPlace", x);
        gpu.launchElements(MODULE, "scale_inplace", n, KernelArgs.create().ptr(Gpu.address(x)).i32(n)
                .f32((float) factor));
    }

    /** Checks that every array lives on this backend's device. */
    private void requireAll(String op, NDArray... xs) {
        for (NDArray x : xs) {
            gpu.require(op, "array", x);
        }
    }
}
