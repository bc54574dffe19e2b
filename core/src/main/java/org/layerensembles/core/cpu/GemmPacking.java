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
     * two-vector lane selection; after log2(L) stages row and lane indices have swapped.
     */
    private static void transposeBlock(MemorySegment b, long from, long csBytes, MemorySegment dst, long to,
                                       long nrBytes) {
        if (L == 16) {
            transpose16(b, from, csBytes, dst, to, nrBytes);
        } else {
            transpose8(b, from, csBytes, dst, to, nrBytes);
        }
    }

    /** Transposes a 16 x 16 block (16-lane vectors); see {@link #transposeBlock}. */
    private static void transpose16(MemorySegment b, long from, long cs, MemorySegment dst, long to, long nrBytes) {
        FloatVector v0 = FloatVector.fromMemorySegment(S, b, from, NO);
        FloatVector v1 = FloatVector.fromMemorySegment(S, b, from + cs, NO);
        FloatVector v2 = FloatVector.fromMemorySegment(S, b, from + 2 * cs, NO);
        FloatVector v3 = FloatVector.fromMemorySegment(S, b, from + 3 * cs, NO);
        FloatVector v4 = FloatVector.fromMemorySegment(S, b, from + 4 * cs, NO);
        FloatVector v5 = FloatVector.fromMemorySegment(S, b, from + 5 * cs, NO);
        FloatVector v6 = FloatVector.fromMemorySegment(S, b, from + 6 * cs, NO);
        FloatVector v7 = FloatVector.fromMemorySegment(S, b, from + 7 * cs, NO);
        FloatVector v8 = FloatVector.fromMemorySegment(S, b, from + 8 * cs, NO);
        FloatVector v9 = FloatVector.fromMemorySegment(S, b, from + 9 * cs, NO);
        FloatVector v10 = FloatVector.fromMemorySegment(S, b, from + 10 * cs, NO);
        FloatVector v11 = FloatVector.fromMemorySegment(S, b, from + 11 * cs, NO);
        FloatVector v12 = FloatVector.fromMemorySegment(S, b, from + 12 * cs, NO);
        FloatVector v13 = FloatVector.fromMemorySegment(S, b, from + 13 * cs, NO);
        FloatVector v14 = FloatVector.fromMemorySegment(S, b, from + 14 * cs, NO);
        FloatVector v15 = FloatVector.fromMemorySegment(S, b, from + 15 * cs, NO);
        FloatVector w0 = LOW.selectFrom(v0, v8);
        FloatVector w1 = HIGH.selectFrom(v0, v8);
        FloatVector w2 = LOW.selectFrom(v1, v9);
        FloatVector w3 = HIGH.selectFrom(v1, v9);
        FloatVector w4 = LOW.selectFrom(v2, v10);
        FloatVector w5 = HIGH.selectFrom(v2, v10);
        FloatVector w6 = LOW.selectFrom(v3, v11);
        FloatVector w7 = HIGH.selectFrom(v3, v11);
        FloatVector w8 = LOW.selectFrom(v4, v12);
        FloatVector w9 = HIGH.selectFrom(v4, v12);
        FloatVector w10 = LOW.selectFrom(v5, v13);
        FloatVector w11 = HIGH.selectFrom(v5, v13);
        FloatVector w12 = LOW.selectFrom(v6, v14);
        FloatVector w13 = HIGH.selectFrom(v6, v14);
        FloatVector w14 = LOW.selectFrom(v7, v15);
        FloatVector w15 = HIGH.selectFrom(v7, v15);
        v0 = LOW.selectFrom(w0, w8);
        v1 = HIGH.selectFrom(w0, w8);
        v2 = LOW.selectFrom(w1, w9);
        v3 = HIGH.selectFrom(w1, w9);
        v4 = LOW.selectFrom(w2, w10);
        v5 = HIGH.selectFrom(w2, w10);
        v6 = LOW.selectFrom(w3, w11);
        v7 = HIGH.selectFrom(w3, w11);
        v8 = LOW.selectFrom(w4, w12);
        v9 = HIGH.selectFrom(w4, w12);
        v10 = LOW.selectFrom(w5, w13);
        v11 = HIGH.selectFrom(w5, w13);
        v12 = LOW.selectFrom(w6, w14);
        v13 = HIGH.selectFrom(w6, w14);
        v14 = LOW.selectFrom(w7, w15);
        v15 = HIGH.selectFrom(w7, w15);
        w0 = LOW.selectFrom(v0, v8);
        w1 = HIGH.selectFrom(v0, v8);
        w2 = LOW.selectFrom(v1, v9);
        w3 = HIGH.selectFrom(v1, v9);
        w4 = LOW.selectFrom(v2, v10);
        w5 = HIGH.selectFrom(v2, v10);
        w6 = LOW.selectFrom(v3, v11);
        w7 = HIGH.selectFrom(v3, v11);
        w8 = LOW.selectFrom(v4, v12);
        w9 = HIGH.selectFrom(v4, v12);
        w10 = LOW.selectFrom(v5, v13);
        w11 = HIGH.selectFrom(v5, v13);
        w12 = LOW.selectFrom(v6, v14);
        w13 = HIGH.selectFrom(v6, v14);
        w14 = LOW.selectFrom(v7, v15);
        w15 = HIGH.selectFrom(v7, v15);
        v0 = LOW.selectFrom(w0, w8);
        v1 = HIGH.selectFrom(w0, w8);
        v2 = LOW.selectFrom(w1, w9);
        v3 = HIGH.selectFrom(w1, w9);
        v4 = LOW.selectFrom(w2, w10);
        v5 = HIGH.selectFrom(w2, w10);
        v6 = LOW.selectFrom(w3, w11);
        v7 = HIGH.selectFrom(w3, w11);
        v8 = LOW.selectFrom(w4, w12);
        v9 = HIGH.selectFrom(w4, w12);
        v10 = LOW.selectFrom(w5, w13);
        v11 = HIGH.selectFrom(w5, w13);
        v12 = LOW.selectFrom(w6, w14);
        v13 = HIGH.selectFrom(w6, w14);
        v14 = LOW.selectFrom(w7, w15);
        v15 = HIGH.selectFrom(w7, w15);
        v0.intoMemorySegment(dst, to, NO);
        v1.intoMemorySegment(dst, to + nrBytes, NO);
        v2.intoMemorySegment(dst, to + 2 * nrBytes, NO);
        v3.intoMemorySegment(dst, to + 3 * nrBytes, NO);
        v4.intoMemorySegment(dst, to + 4 * nrBytes, NO);
        v5.intoMemorySegment(dst, to + 5 * nrBytes, NO);
        v6.intoMemorySegment(dst, to + 6 * nrBytes, NO);
        v7.intoMemorySegment(dst, to + 7 * nrBytes, NO);
        v8.intoMemorySegment(dst, to + 8 * nrBytes, NO);
        v9.intoMemorySegment(dst, to + 9 * nrBytes, NO);
        v10.intoMemorySegment(dst, to + 10 * nrBytes, NO);
        v11.intoMemorySegment(dst, to + 11 * nrBytes, NO);
        v12.intoMemorySegment(dst, to + 12 * nrBytes, NO);
        v13.intoMemorySegment(dst, to + 13 * nrBytes, NO);
        v14.intoMemorySegment(dst, to + 14 * nrBytes, NO);
        v15.intoMemorySegment(dst, to + 15 * nrBytes, NO);
    }

    /** Transposes a 8 x 8 block (8-lane vectors); see {@link #transposeBlock}. */
    private static void transpose8(MemorySegment b, long from, long cs, MemorySegment dst, long to, long nrBytes) {
        FloatVector v0 = FloatVector.fromMemorySegment(S, b, from, NO);
        FloatVector v1 = FloatVector.fromMemorySegment(S, b, from + cs, NO);
        FloatVector v2 = FloatVector.fromMemorySegment(S, b, from + 2 * cs, NO);
        FloatVector v3 = FloatVector.fromMemorySegment(S, b, from + 3 * cs, NO);
        FloatVector v4 = FloatVector.fromMemorySegment(S, b, from + 4 * cs, NO);
        FloatVector v5 = FloatVector.fromMemorySegment(S, b, from + 5 * cs, NO);
        FloatVector v6 = FloatVector.fromMemorySegment(S, b, from + 6 * cs, NO);
        FloatVector v7 = FloatVector.fromMemorySegment(S, b, from + 7 * cs, NO);
        FloatVector w0 = LOW.selectFrom(v0, v4);
        FloatVector w1 = HIGH.selectFrom(v0, v4);
        FloatVector w2 = LOW.selectFrom(v1, v5);
        FloatVector w3 = HIGH.selectFrom(v1, v5);
        FloatVector w4 = LOW.selectFrom(v2, v6);
        FloatVector w5 = HIGH.selectFrom(v2, v6);
        FloatVector w6 = LOW.selectFrom(v3, v7);
        FloatVector w7 = HIGH.selectFrom(v3, v7);
        v0 = LOW.selectFrom(w0, w4);
        v1 = HIGH.selectFrom(w0, w4);
        v2 = LOW.selectFrom(w1, w5);
        v3 = HIGH.selectFrom(w1, w5);
        v4 = LOW.selectFrom(w2, w6);
        v5 = HIGH.selectFrom(w2, w6);
        v6 = LOW.selectFrom(w3, w7);
        v7 = HIGH.selectFrom(w3, w7);
        w0 = LOW.selectFrom(v0, v4);
        w1 = HIGH.selectFrom(v0, v4);
        w2 = LOW.selectFrom(v1, v5);
        w3 = HIGH.selectFrom(v1, v5);
        w4 = LOW.selectFrom(v2, v6);
        w5 = HIGH.selectFrom(v2, v6);
        w6 = LOW.selectFrom(v3, v7);
        w7 = HIGH.selectFrom(v3, v7);
        w0.intoMemorySegment(dst, to, NO);
        w1.intoMemorySegment(dst, to + nrBytes, NO);
        w2.intoMemorySegment(dst, to + 2 * nrBytes, NO);
        w3.intoMemorySegment(dst, to + 3 * nrBytes, NO);
        w4.intoMemorySegment(dst, to + 4 * nrBytes, NO);
        w5.intoMemorySegment(dst, to + 5 * nrBytes, NO);
        w6.intoMemorySegment(dst, to + 6 * nrBytes, NO);
        w7.intoMemorySegment(dst, to + 7 * nrBytes, NO);
    }

}
