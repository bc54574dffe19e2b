package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision matrix product on native memory, GotoBLAS/BLIS style:
 * {@code C[m x n] = A[m x k] * B[k x n]} (or {@code C +=} it).
 *
 * <p>Loops, outermost first: column blocks of C (jc, at most {@link GemmPlan#NC} columns), depth
 * blocks (pc, {@link GemmPlan#kc}; the B panel is packed here by {@link GemmPacking}, or read in
 * place when it is row-major and few row panels reuse it), row blocks (ic, {@link GemmPlan#MC}; A
 * is packed here only when it has no unit stride, else read in place), then the micro-panels of
 * B (jr) and A (ir), each pair one register tile computed by a {@link GemmKernels} micro-kernel
 * and written into C by {@link GemmOutput}. {@link GemmPlan} picks per shape the tile (6x64 for
 * large M on AVX-512; 4x96 or 2x128 for small M; the transposed product C^T = B^T A^T for small
 * N), the blocking, what to pack and the split into tasks (columns of C, or rows when N is small).
 *
 * <p>Determinism: every element of C is summed in the same order whatever the threads, tasks or
 * tile: depth blocks in increasing order, each accumulated from zero in registers by FMA and then
 * added to C. Tasks only split C into disjoint rectangles, fixed by the shape.
 *
 * <p>Per-thread packing buffers and the tile scratch come from {@link CpuScratch}: a steady state
 * allocates no memory.
 */
public final class CpuGemm {
    private CpuGemm() {
    }

    /**
     * {@code C = A * B}, or {@code C += A * B} when {@code accumulate}. Element (i, p) of A is at
     * element {@code aOff + i*aRs + p*aCs} of segment {@code a} (so a transposed A is just
     * swapped strides), likewise B; element (i, j) of C is at {@code cOff + i*ldc + j}. C must not
     * overlap A or B. All segments must be native.
     *
     * @param parallel whether to spread the work over {@link Parallel}'s workers; pass false when
     *                 calling from inside a parallel task
     */
    public static void gemm(int m, int n, int k,
                            MemorySegment a, long aOff, long aRs, long aCs,
                            MemorySegment b, long bOff, long bRs, long bCs,
                            MemorySegment c, long cOff, long ldc,
                            boolean accumulate, boolean parallel) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    c.asSlice((cOff + i * ldc) * 4, n * 4L).fill((byte) 0);
                }
            }
            return;
        }
        GemmPlan plan = GemmPlan.of(m, n, k, aRs, aCs, bRs, bCs, parallel);
        // The swapped orientation computes C^T = B^T A^T: the same products summed in the same order.
        Product p = plan.swap()
                ? new Product(plan, n, m, k, b, bOff, bCs, bRs, a, aOff, aCs, aRs, c, cOff, 1, ldc, accumulate)
                : new Product(plan, m, n, k, a, aOff, aRs, aCs, b, bOff, bRs, bCs, c, cOff, ldc, 1, accumulate);
        int span = plan.span();
        if (plan.tasks() == 1) {
            p.block(0, p.m, 0, p.n);
        } else if (plan.byRows()) {
            Parallel.forEach(plan.tasks(), t -> p.block(t * span, Math.min(p.m, (t + 1) * span), 0, p.n));
        } else {
            Parallel.forEach(plan.tasks(), t -> p.block(0, p.m, t * span, Math.min(p.n, (t + 1) * span)));
        }
    }

    /** One product in the orientation the plan computes: operands, their layout, and C's. */
    private record Product(GemmPlan plan, int m, int n, int k,
                           MemorySegment a, long aOff, long aRs, long aCs,
                           MemorySegment b, long bOff, long bRs, long bCs,
                           MemorySegment c, long cOff, long cRs, long cCs, boolean accumulate) {

        /** Computes the rectangle rows [i0, i1) x columns [j0, j1) of C on this thread. */
        void block(int i0, int i1, int j0, int j1) {
            GemmTile tile = plan.tile();
            int kc = plan.kc();
            MemorySegment packedA = plan.packA() ? CpuScratch.floats(CpuScratch.GEMM_A, (long) plan.mc() * kc) : null;
            // With B in place only the last, partial micro-panel of a panel is packed.
            long packedCols = plan.bInPlace() ? tile.columns : plan.nc();
            MemorySegment packedB = CpuScratch.floats(CpuScratch.GEMM_B, packedCols * kc);
            MemorySegment scratch = CpuScratch.floats(CpuScratch.GEMM_TILE, (long) tile.rows * tile.columns);
            // Row blocks of at most mc rows, as even as whole micro-panels allow.
            int rowBlocks = GemmPlan.ceilDiv(i1 - i0, plan.mc());
            int mcEven = GemmPlan.ceilDiv(GemmPlan.ceilDiv(i1 - i0, rowBlocks), tile.rows) * tile.rows;
            for (int jc = j0; jc < j1; jc += plan.nc()) {
                int nc = Math.min(plan.nc(), j1 - jc);
                for (int pc = 0; pc < k; pc += kc) {
                    int kcb = Math.min(kc, k - pc);
                    packB(jc, nc, pc, kcb, packedB);
                    boolean add = accumulate || pc > 0;
                    for (int ic = i0; ic < i1; ic += mcEven) {
                        int mc = Math.min(mcEven, i1 - ic);
                        if (plan.packA()) {
                            GemmPacking.packA(a, aOff + ic * aRs + pc * aCs, aRs, aCs, mc, kcb, tile.rows, packedA);
                        }
                        macroKernel(packedA, packedB, scratch, ic, mc, jc, nc, pc, kcb, add);
                    }
                }
            }
        }

        /** Packs the B panel, or with B in place only its last, partial micro-panel (at 0). */
        private void packB(int jc, int nc, int pc, int kcb, MemorySegment packedB) {
            int nr = plan.tile().columns;
            long at = bOff + pc * bRs + jc * bCs;
            if (!plan.bInPlace()) {
                GemmPacking.packB(b, at, bRs, bCs, kcb, nc, nr, packedB);
            } else if (nc % nr != 0) {
                int full = nc - nc % nr;
                GemmPacking.packB(b, at + full * bCs, bRs, bCs, kcb, nc - full, nr, packedB);
            }
        }

        /** All register tiles of one packed A block times one B panel. */
        private void macroKernel(MemorySegment packedA, MemorySegment packedB, MemorySegment scratch,
                                 int ic, int mc, int jc, int nc, int pc, int kcb, boolean add) {
            GemmTile tile = plan.tile();
            int mr = tile.rows;
            int nr = tile.columns;
            for (int jr = 0; jr < nc; jr += nr) {
                int cols = Math.min(nr, nc - jr);
                MemorySegment bp = packedB;
                long bo = plan.bInPlace() ? 0 : (long) jr * kcb * 4;
                long bStep = nr * 4L;
                if (plan.bInPlace() && cols == nr) {
                    bp = b;
                    bo = (bOff + pc * bRs + (jc + jr) * bCs) * 4;
                    bStep = bRs * 4;
                }
                for (int ir = 0; ir < mc; ir += mr) {
                    int rows = Math.min(mr, mc - ir);
                    if (plan.packA()) {
                        tile.multiply(packedA, (long) ir * kcb * 4, 4, mr * 4L, mr, bp, bo, bStep, kcb, scratch);
                    } else {
                        tile.multiply(a, (aOff + (ic + ir) * aRs + pc * aCs) * 4, aRs * 4, aCs * 4, rows,
                                bp, bo, bStep, kcb, scratch);
                    }
                    GemmOutput.write(scratch, nr, rows, cols, c,
                            cOff + (ic + ir) * cRs + (jc + jr) * cCs, cRs, cCs, add);
                }
            }
        }
    }
}
