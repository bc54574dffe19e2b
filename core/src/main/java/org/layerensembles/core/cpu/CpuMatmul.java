package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/**
 * Batched matrix product on the CPU: {@code [..., M, K] x [..., K, N]} with broadcast leading
 * dimensions, each product computed by {@link CpuGemm}. Operands are read through their strides
 * (transposed, sliced or broadcast views cost no copy, since the GEMM packs them anyway).
 */
final class CpuMatmul {
    /** Products smaller than this many flops run one per task, in parallel over the batch. */
    private static final long SMALL_FLOPS = 1L << 21;

    private CpuMatmul() {
    }

    /**
     * {@code op(a) x op(b)} where op transposes the last two dimensions when asked. Leading
     * (batch) dimensions broadcast NumPy-style; the result is [batch..., M, N].
     */
    public static NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        MatmulPlan plan = MatmulPlan.of("matmul", a, b, transposeA, transposeB);
        NDArray out = NDArrays.empty(DType.FLOAT32, plan.outShape());
        int batches = plan.batches();
        int m = plan.m();
        int n = plan.n();
        int k = plan.k();
        if (batches == 0 || m == 0 || n == 0) {
            return out;
        }
        MemorySegment sa = a.segment();
        MemorySegment sb = b.segment();
        MemorySegment sc = out.segment();
        long mn = (long) m * n;
        long flops = 2L * m * n * k;
        if (batches > 1 && flops < SMALL_FLOPS) {
            // Many small products: tasks of whole products, each product on one thread.
            int perTask = (int) Math.max(1, SMALL_FLOPS / Math.max(flops, 1));
            Parallel.forEach(Parallel.taskCount(batches, perTask), t -> {
                int end = Math.min(batches, (t + 1) * perTask);
                for (int i = t * perTask; i < end; i++) {
                    product(plan, i, sa, sb, sc, i * mn, false);
                }
            });
        } else {
            for (int i = 0; i < batches; i++) {
                product(plan, i, sa, sb, sc, i * mn, true);
            }
        }
        return out;
    }

    private static void product(MatmulPlan p, int i, MemorySegment a, MemorySegment b, MemorySegment c, long cOff,
                                boolean parallel) {
        CpuGemm.gemm(p.m(), p.n(), p.k(), a, p.aOffsets()[i], p.aRowStride(), p.aColStride(),
                b, p.bOffsets()[i], p.bRowStride(), p.bColStride(), c, cOff, p.n(), false, parallel);
    }
}
