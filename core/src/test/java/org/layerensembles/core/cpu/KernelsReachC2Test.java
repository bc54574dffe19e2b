package org.layerensembles.core.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.Backends;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.UnaryOp;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.memory.MemoryScope.Activation;
import org.layerensembles.core.testing.JitTiers;

/**
 * Every hot kernel family of the CPU backend reaches the optimising compiler (C2) under the
 * JVM's default flags: CPU-KERNELS.md's tiered-compilation trap, where a kernel stays in a low
 * tier and runs with boxed vectors at a fraction of its speed while every result is still right.
 * See {@link JitTiers} for how it is checked. Each family runs on small inputs until its hot
 * methods are in use at level 4; normally that takes well under a second each, so the deadline
 * only matters on a machine too loaded to compile (it then fails with the levels it saw).
 *
 * <p>The method names are those of the kernels' entry points and inner loops; when a kernel is
 * rewritten, its line below names the new class.
 */
class KernelsReachC2Test {
    private static final String CPU = "org.layerensembles.core.cpu.";
    private static final long DEADLINE_MILLIS = 60_000;
    private static final Backend B = Backends.cpu();
    /** Whether the 3x3 convolutions run on the direct kernels (512-bit vectors) or im2col + GEMM. */
    private static final boolean DIRECT = DirectConv3x3.wideVectors();

    @Test
    void hotKernelsAreCompiledAtTheHighestTier() {
        MemoryScope inputs = MemoryScope.longLived("KernelsReachC2Test inputs");
        try (Activation ignored = inputs.activate()) {
            SeededRandom rng = new SeededRandom(42);
            NDArray a = NDArrays.randomUniform(rng.fork(1), -1, 1, 96, 96);
            NDArray x = NDArrays.randomUniform(rng.fork(2), -1, 1, 2, 16, 16, 16);
            NDArray w = NDArrays.randomUniform(rng.fork(3), -1, 1, 16, 16, 3, 3);
            NDArray gamma = NDArrays.randomUniform(rng.fork(4), 0.5, 1.5, 16);
            NDArray beta = NDArrays.randomUniform(rng.fork(5), -1, 1, 16);
            NDArray logits = NDArrays.randomUniform(rng.fork(6), -3, 3, 64, 10);
            Conv2dParams same = Conv2dParams.of(1, 1);
            List<String> failures = JitTiers.notAtC2(DEADLINE_MILLIS,
                    JitTiers.kernel("GEMM", scoped(() -> B.matmul(a, a, false, false)), CPU + "GemmKernels."),
                    JitTiers.kernel("conv2d forward", scoped(() -> B.conv2d(x, w, null, same)),
                            DIRECT ? CPU + "DirectConv3x3Kernel.tile(" : CPU + "CpuIm2col.im2col("),
                    JitTiers.kernel("conv2d backward data",
                            scoped(() -> B.conv2dBackwardData(x, w, x.shape(), same)),
                            DIRECT ? CPU + "DirectConv3x3Kernel.tile(" : CPU + "CpuIm2col.col2imAdd("),
                    JitTiers.kernel("conv2d backward weights",
                            scoped(() -> B.conv2dBackwardWeights(x, x, w.shape(), same)),
                            DIRECT ? CPU + "DirectConv3x3WeightGradKernel.accumulate(" : CPU + "GemmKernels."),
                    JitTiers.kernel("batch norm", scoped(() -> {
                        BatchNormResult r = B.batchNormTrain(x, gamma, beta, 1e-5);
                        B.batchNormBackward(x, x, gamma, r.mean(), r.invStd());
                    }), CPU + "BatchNormKernels."),
                    JitTiers.kernel("elementwise", scoped(() -> {
                        B.binary(BinaryOp.MUL, x, x);
                        B.unary(UnaryOp.EXP, x);
                    }), CPU + "BinaryLoops.", CPU + "UnaryLoops."),
                    JitTiers.kernel("softmax", scoped(() -> B.softmax(logits, 1)), CPU + "SoftmaxKernels."));
            assertTrue(failures.isEmpty(), "kernels stuck below C2:\n  " + String.join("\n  ", failures));
        } finally {
            inputs.close();
        }
    }

    /** The call inside a memory scope of its own, so that warm-up loops reuse pooled memory. */
    private static Runnable scoped(Runnable call) {
        return () -> {
            try (MemoryScope ignored = MemoryScope.open()) {
                call.run();
            }
        };
    }
}
