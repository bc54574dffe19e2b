package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packing of {@link CpuGemm}'s operands into the k-major micro-panels its micro-kernels read,
 * zero-padded at the edges. Operands come as a segment, an element offset and a row and a
 * column stride, so a transposed operand is just swapped strides; each packer picks its loop
 * order from the strides so that reads are sequential when one stride is 1.
 *
 * <ul>
 *   <li>A block (rows [0, mc) x depth [0, kc)), for an A without a unit stride (A with one is
 *       read in place): panels of {@code mr} rows; panel i holds, for each depth p, its mr
 *       values (element (p, r) at {@code i*kc*mr + p*mr + r}).</li>
 *   <li>B panel (depth [0, kc) x columns [0, nc)): panels of {@code nr} columns; panel j holds,
 *       for each p, its nr values (element (p, c) at {@code j*kc*nr + p*nr + c}). A row-major B
 *       moves as vectors (masked at the last panel).</li>
 * </ul>
 */
final class GemmPacking {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> S = GemmKernels.S;
    private static final int L = GemmKernels.L;
    /** Lane indices interleaving the low halves (LOW) or high halves (HIGH) of two vectors. */
    private static final FloatVector LOW = interleave(0);
    private static final FloatVector HIGH = interleave(L / 2);
    /** Depths per pass when packing a transposed B element-wise (16 panel rows: 4 KB at 64 columns). */
    private static final int B_DEPTH_BLOCK = 16;

    private GemmPacking() {
    }

    /** Index vector [h, L + h, h + 1, L + h + 1, ...] for {@code selectFrom(first, second)}. */
    private static FloatVector interleave(int h) {
        float[] idx = new float[L];
        for (int q = 0; q < L; q++) {
            idx[q] = (q % 2 == 0 ? 0 : L) + h + q / 2;
        }
        return FloatVector.fromArray(S, idx, 0);
    }

    /** Packs an {@code mc x kc} block of A (element (i, p) at {@code off + i*rs + p*cs}). */
    static void packA(MemorySegment a, long off, long rs, long cs, int mc, int kc, int mr, MemorySegment dst) {
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            long panel = (long) ir * kc;
            long src = off + ir * rs;
            if (Math.abs(cs) <= Math.abs(rs)) {
                for (int r = 0; r < rows; r++) {
                    packARow(a, src + r * rs, cs, kc, mr, dst, panel + r);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    packADepth(a, src + p * cs, rs, rows, dst, panel + (long) p * mr);
                }
            }
            for (int r = rows; r < mr; r++) {
                zeroStrided(dst, panel + r, mr, kc);
            }
        }
    }

    /** One row of A along the depth into every mr-th float of the panel. */
    private static void packARow(MemorySegment a, long src, long cs, int kc, int mr, MemorySegment dst, long to) {
        for (int p = 0; p < kc; p++) {
            dst.setAtIndex(F, to + (long) p * mr, a.getAtIndex(F, src + p * cs));
        }
    }

    /** The rows of A at one depth (adjacent values in a transposed A). */
    private static void packADepth(MemorySegment a, long src, long rs, int rows, MemorySegment dst, long to) {
        for (int r = 0; r < rows; r++) {
            dst.setAtIndex(F, to + r, a.getAtIndex(F, src + r * rs));
        }
    }

    private static void zeroStrided(MemorySegment dst, long at, int stride, int count) {
        for (int p = 0; p < count; p++) {
            dst.setAtIndex(F, at + (long) p * stride, 0f);
        }
    }

    /**
     * Packs the panels of {@code nr} columns covering columns [0, nc) of a {@code kc x nc} block of
     * B (element (p, j) at {@code off + p*rs + j*cs}).
     */
    static void packB(MemorySegment b, long off, long rs, long cs, int kc, int nc, int nr, MemorySegment dst) {
        for (int jr = 0; jr < nc; jr += nr) {
            int cols = Math.min(nr, nc - jr);
            long panel = (long) jr * kc;
            long src = off + jr * cs;
            if (cs == 1 && cols == nr) {
                for (int p = 0; p < kc; p++) {
                    copyFullRow(b, (src + p * rs) * 4, nr, dst, (panel + (long) p * nr) * 4);
                }
            } else if (cs == 1) {
                for (int p = 0; p < kc; p++) {
                    copyRow(b, (src + p * rs) * 4, cols, nr, dst, (panel + (long) p * nr) * 4);
                }
            } else if (Math.abs(cs) <= Math.abs(rs)) {
                for (int p = 0; p < kc; p++) {
                    packBRow(b, src + p * rs, cs, cols, dst, panel + (long) p * nr);
                }
            } else {
                packBColumns(b, src, rs, cs, kc, cols, nr, dst, panel);
            }
            if (cols < nr && cs != 1) {
                for (int j = cols; j < nr; j++) {
                    zeroStrided(dst, panel + j, nr, kc);
                }
            }
        }
    }

    /** Copies {@code nr} contiguous floats (a multiple of L), a vector at a time. */
    private static void copyFullRow(MemorySegment src, long from, int nr, MemorySegment dst, long to) {
        for (long v = 0; v < nr * 4L; v += L * 4L) {
            FloatVector.fromMemorySegment(S, src, from + v, NO).intoMemorySegment(dst, to + v, NO);
        }
    }

    /** Copies {@code cols} contiguous floats and zero-fills to {@code nr}, a vector at a time. */
    private static void copyRow(MemorySegment src, long from, int cols, int nr, MemorySegment dst, long to) {
        for (int v = 0; v < nr; v += L, from += L * 4L, to += L * 4L) {
            int lanes = cols - v;
            FloatVector x;
            if (lanes >= L) {
                x = FloatVector.fromMemorySegment(S, src, from, NO);
            } else if (lanes > 0) {
                VectorMask<Float> m = S.indexInRange(0, lanes);
                x = FloatVector.fromMemorySegment(S, src, from, NO, m);
            } else {
                x = FloatVector.zero(S);
            }
            x.intoMemorySegment(dst, to, NO);
        }
    }

    /** One depth of B with a non-unit column stride no larger than its row stride. */
    private static void packBRow(MemorySegment b, long src, long cs, int cols, MemorySegment dst, long to) {
        for (int j = 0; j < cols; j++) {
            dst.setAtIndex(F, to + j, b.getAtIndex(F, src + j * cs));
        }
    }

    /**
     * A B whose columns are contiguous along the depth (a transposed B), or at least closer along
     * it than across: with unit depth stride and 16 or 8 lanes, blocks of L columns x L depths are
     * transposed in registers ({@link #transposeBlock}); the rest goes element by element.
     */
    private static void packBColumns(MemorySegment b, long src, long rs, long cs, int kc, int cols, int nr,
                                     MemorySegment dst, long panel) {
        int kFull = 0;
        int jFull = 0;
        if (rs == 1 && (L == 16 || L == 8)) {
            kFull = kc - kc % L;
            jFull = cols - cols % L;
            // Along the depth for L columns at a time: L sequential streams the prefetcher follows.
            for (int j0 = 0; j0 < jFull; j0 += L) {
                for (int p0 = 0; p0 < kFull; p0 += L) {
                    transposeBlock(b, (src + j0 * cs + p0) * 4, cs * 4, dst, (panel + (long) p0 * nr + j0) * 4,
                            nr * 4L);
                }
            }
        }
        packBScalar(b, src, rs, cs, 0, kc, jFull, cols, nr, dst, panel);
        packBScalar(b, src, rs, cs, kFull, kc, 0, jFull, nr, dst, panel);
    }

    /**
     * Depths [p0, p1) x columns [j0, j1) of a transposed B, one element at a time: each column is
     * read along the depth, a block of depths at a time so that the panel rows written stay in L1.
     */
    private static void packBScalar(MemorySegment b, long src, long rs, long cs, int p0, int p1, int j0, int j1,
                                    int nr, MemorySegment dst, long panel) {
        for (int q0 = p0; q0 < p1; q0 += B_DEPTH_BLOCK) {
            int q1 = Math.min(p1, q0 + B_DEPTH_BLOCK);
            for (int j = j0; j < j1; j++) {
                long s = src + j * cs;
                for (int p = q0; p < q1; p++) {
                    dst.setAtIndex(F, panel + (long) p * nr + j, b.getAtIndex(F, s + p * rs));
                }
            }
        }
    }

    /**
     * Transposes the L x L block whose column j holds L contiguous depths at byte
     * {@code from + j*csBytes} into L panel rows of L floats at {@code to + p*nrBytes}. Each of the
     * log2(L) stages interleaves vector i with vector i + L/2 (low halves, then high halves) by a
     * two-vector lane selection; after log2(L) stages row and lane indices have swapped. Stages
     * pass the block through two halves of a per-thread scratch buffer, so that each stage is a
     * small loop: one method holding all stages in registers was too big for C1 at its profiling
     * tier, stayed at tier 2 and ran the selections boxed (SteadyStateStepTest caught the garbage).
     */
    private static void transposeBlock(MemorySegment b, long from, long csBytes, MemorySegment dst, long to,
                                       long nrBytes) {
        MemorySegment t = CpuScratch.floats(CpuScratch.GEMM_TRANSPOSE, 2L * L * L);
        long half = (long) L * L * 4;
        long vectorBytes = L * 4L;
        int stages = Integer.numberOfTrailingZeros(L);
        stage(b, from, csBytes, t, 0, vectorBytes);
        long at = 0;
        for (int st = 2; st < stages; st++) {
            stage(t, at, vectorBytes, t, half - at, vectorBytes);
            at = half - at;
        }
        stage(t, at, vectorBytes, dst, to, nrBytes);
    }

    /** One interleaving stage: out[2j] = low halves of (in[j], in[j + L/2]), out[2j + 1] = high halves. */
    private static void stage(MemorySegment in, long inAt, long inStride, MemorySegment out, long outAt,
                              long outStride) {
        for (int j = 0; j < L / 2; j++) {
            FloatVector first = FloatVector.fromMemorySegment(S, in, inAt + j * inStride, NO);
            FloatVector second = FloatVector.fromMemorySegment(S, in, inAt + (j + L / 2) * inStride, NO);
            LOW.selectFrom(first, second).intoMemorySegment(out, outAt + 2 * j * outStride, NO);
            HIGH.selectFrom(first, second).intoMemorySegment(out, outAt + (2 * j + 1) * outStride, NO);
        }
    }

}
