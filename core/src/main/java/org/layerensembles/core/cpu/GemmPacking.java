package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

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
    private static final int L = GemmKernels.L;
    /** Depths per pass when packing a transposed B (16 panel rows: 4 KB at 64 columns). */
    private static final int B_DEPTH_BLOCK = 16;

    private GemmPacking() {
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
            if (cs == 1) {
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

    /** Copies {@code cols} contiguous floats and zero-fills to {@code nr}, a vector at a time. */
    private static void copyRow(MemorySegment src, long from, int cols, int nr, MemorySegment dst, long to) {
        for (int v = 0; v < nr; v += L, from += L * 4L, to += L * 4L) {
            int lanes = cols - v;
            FloatVector x;
            if (lanes >= L) {
                x = FloatVector.fromMemorySegment(GemmKernels.S, src, from, NO);
            } else if (lanes > 0) {
                VectorMask<Float> m = GemmKernels.S.indexInRange(0, lanes);
                x = FloatVector.fromMemorySegment(GemmKernels.S, src, from, NO, m);
            } else {
                x = FloatVector.zero(GemmKernels.S);
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
     * A B whose columns are contiguous (a transposed B): each column is read along the depth, a
     * block of depths at a time so that the panel rows being written stay in L1.
     */
    private static void packBColumns(MemorySegment b, long src, long rs, long cs, int kc, int cols, int nr,
                                     MemorySegment dst, long panel) {
        for (int p0 = 0; p0 < kc; p0 += B_DEPTH_BLOCK) {
            int p1 = Math.min(kc, p0 + B_DEPTH_BLOCK);
            for (int j = 0; j < cols; j++) {
                long s = src + j * cs;
                for (int p = p0; p < p1; p++) {
                    dst.setAtIndex(F, panel + (long) p * nr + j, b.getAtIndex(F, s + p * rs));
                }
            }
        }
    }
}
