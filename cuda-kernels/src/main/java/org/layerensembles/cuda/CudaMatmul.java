package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.cpu.MatmulPlan;

/**
 * Batched matrix product on the GPU (gemm.cu, a 64 x 64 shared-memory tile per block): operands
 * are read through their strides (transposed, sliced or broadcast views cost no copy), with the
 * layout and checks of the CPU backend's {@link MatmulPlan}. Batch entries whose matrices lie a
 * fixed distance apart pass that distance; otherwise their offsets go to the device as a table.
 */
final class CudaMatmul {
    /** The grid's z extent (batch entries per launch) is limited by the driver. */
    private static final int MAX_BATCH_PER_LAUNCH = 65535;
    private static final int TILE = 64;

    private final Gpu gpu;

    CudaMatmul(Gpu gpu) {
        this.gpu = gpu;
    }

    NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
        MatmulPlan plan = MatmulPlan.of("matmul", a, b, transposeA, transposeB);
        gpu.require("matmul", "a", a);
        gpu.require("matmul", "b", b);
        NDArray out = gpu.empty(DType.FLOAT32, plan.outShape());
        int batches = plan.batches();
        int m = plan.m();
        int n = plan.n();
        if (batches == 0 || m == 0 || n == 0) {
            return out;
        }
        long aBase = a.allocation().deviceAddress();
        long bBase = b.allocation().deviceAddress();
        long cBase = Gpu.address(out);
        long aStep = step(plan.aOffsets());
        long bStep = step(plan.bOffsets());
        try (Gpu.Scratch aTable = table(plan.aOffsets(), aStep); Gpu.Scratch bTable = table(plan.bOffsets(), bStep)) {
            for (int z0 = 0; z0 < batches; z0 += MAX_BATCH_PER_LAUNCH) {
                int count = Math.min(MAX_BATCH_PER_LAUNCH, batches - z0);
                KernelArgs args = KernelArgs.create();
                // Pointers to entry z0's matrices (affine batches), or the tables from entry z0.
                args.ptr(aTable == null ? aBase + 4 * (plan.aOffsets()[0] + z0 * aStep) : aBase);
                args.ptr(bTable == null ? bBase + 4 * (plan.bOffsets()[0] + z0 * bStep) : bBase);
                args.ptr(cBase + 4L * z0 * m * n);
                args.i32(m).i32(n).i32(plan.k());
                args.i64(plan.aRowStride()).i64(plan.aColStride()).i64(plan.bRowStride()).i64(plan.bColStride());
                args.ptr(aTable == null ? 0 : aTable.address + 8L * z0);
                args.ptr(bTable == null ? 0 : bTable.address + 8L * z0);
                args.i64(aStep).i64(bStep);
                gpu.launch("gemm", "gemm_strided", Grid.of(ceil(n, TILE), ceil(m, TILE), count),
                        Block.of(256), 0, args);
            }
        }
        return out;
    }

    /** The constant distance between consecutive offsets, or -1 when there is none. */
    private static long step(long[] offsets) {
        if (offsets.length < 2) {
            return 0;
        }
        long s = offsets[1] - offsets[0];
        for (int i = 2; i < offsets.length; i++) {
            if (offsets[i] - offsets[i - 1] != s) {
                return -1;
            }
        }
        return s;
    }

    /** The offsets on the device when they are not affine, else null. */
    private Gpu.Scratch table(long[] offsets, long step) {
        if (step >= 0) {
            return null;
        }
        Gpu.Scratch t = gpu.scratch(8L * offsets.length);
        gpu.writeLongs(t.address, offsets);
        return t;
    }

    private static int ceil(int x, int y) {
        return (x + y - 1) / y;
    }
}
