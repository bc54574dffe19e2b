package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Packing of {@link CpuGemm}'s operands into the k-major, zero-padded micro-panels its
 * micro-kernel reads. Any strides are accepted; the loop order follows the smaller stride so
 * that reads are sequential when one of them is 1 (a row-major or a transposed operand).
 */
final class CpuGemmPacking {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final int MR = CpuGemm.MR;
    private static final int NR = CpuGemm.NR;
    private static final int L = CpuGemm.S.length();
    /** Depths per pass when packing a transposed B (16 panel rows = 4 KB on AVX-512). */
    private static final int B_DEPTH_BLOCK = 16;

    private CpuGemmPacking() {
    }

    /**
     * Packs rows [0, mc) and depth [0, kc) of A (element (i, p) at {@code off + i*rs + p*cs})
     * into panels of MR rows: panel r holds, for each p, the MR values of its rows at depth p
     * (rows past mc are zeros).
     */
    static void packA(MemorySegment a, long off, long rs, long cs, int mc, int kc, MemorySegment dst) {
        if (Math.abs(rs) < Math.abs(cs)) {
            packATransposed(a, off, rs, cs, mc, kc, dst);
            return;
        }
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            long panel = (long) ir * kc * 4;
            long src = off + ir * rs;
            if (cs == 1 && mr == MR) {
                // Row-major A, whole panel: six sequential row streams, sequential writes.
                long r0 = src;
                long r1 = src + rs;
                long r2 = src + 2 * rs;
                long r3 = src + 3 * rs;
                long r4 = src + 4 * rs;
                long r5 = src + 5 * rs;
                long d = panel;
                for (int p = 0; p < kc; p++, d += MR * 4) {
                    dst.set(F, d, a.getAtIndex(F, r0 + p));
                    dst.set(F, d + 4, a.getAtIndex(F, r1 + p));
                    dst.set(F, d + 8, a.getAtIndex(F, r2 + p));
                    dst.set(F, d + 12, a.getAtIndex(F, r3 + p));
                    dst.set(F, d + 16, a.getAtIndex(F, r4 + p));
                    dst.set(F, d + 20, a.getAtIndex(F, r5 + p));
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    long s = src + r * rs;
                    long d = panel + r * 4L;
                    for (int p = 0; p < kc; p++) {
                        dst.set(F, d + (long) p * MR * 4, a.getAtIndex(F, s + p * cs));
                    }
                }
            }
            zeroRows(dst, panel, mr, kc);
        }
    }

    /**
     * A whose columns are (close to) contiguous, e.g. a transposed row-major matrix: one depth at
     * a time across the whole block, so that reads stream along a column instead of hopping a
     * row stride per value (with power-of-two strides those hops all land in a few cache sets).
     */
    private static void packATransposed(MemorySegment a, long off, long rs, long cs, int mc, int kc,
                                        MemorySegment dst) {
        int full = mc / MR * MR;
        for (int p = 0; p < kc; p++) {
            long s = off + p * cs;
            long d = (long) p * MR * 4;
            long panelBytes = (long) kc * MR * 4;
            int ir = 0;
            for (; ir < full; ir += MR, d += panelBytes) {
                long si = s + ir * rs;
                dst.set(F, d, a.getAtIndex(F, si));
                dst.set(F, d + 4, a.getAtIndex(F, si + rs));
                dst.set(F, d + 8, a.getAtIndex(F, si + 2 * rs));
                dst.set(F, d + 12, a.getAtIndex(F, si + 3 * rs));
                dst.set(F, d + 16, a.getAtIndex(F, si + 4 * rs));
                dst.set(F, d + 20, a.getAtIndex(F, si + 5 * rs));
            }
            for (int r = 0; ir + r < mc; r++) {
                dst.set(F, d + r * 4L, a.getAtIndex(F, s + (ir + r) * rs));
            }
        }
        if (full < mc) {
            zeroRows(dst, (long) full * kc * 4, mc - full, kc);
        }
    }

    /** Zeros rows [mr, MR) of the panel at byte offset {@code panel}. */
    private static void zeroRows(MemorySegment dst, long panel, int mr, int kc) {
        for (int r = mr; r < MR; r++) {
            for (int p = 0; p < kc; p++) {
                dst.set(F, panel + ((long) p * MR + r) * 4, 0f);
            }
        }
    }

    /**
     * Packs depth [0, kc) and columns [0, nc) of B (element (p, j) at {@code off + p*rs + j*cs})
     * into panels of NR columns: panel j holds, for each p, the NR values of its columns at depth
     * p (columns past nc are zeros).
     */
    static void packB(MemorySegment b, long off, long rs, long cs, int kc, int nc, MemorySegment dst) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            long panel = (long) jr * kc * 4;
            long src = off + jr * cs;
            if (cs == 1 && nr == NR) {
                // Row-major B, full panel: NR contiguous floats per depth, moved as vectors.
                for (int p = 0; p < kc; p++) {
                    copyRow(b, (src + p * rs) * 4, dst, panel + (long) p * NR * 4);
                }
            } else if (Math.abs(cs) <= Math.abs(rs)) {
                for (int p = 0; p < kc; p++) {
                    long s = src + p * rs;
                    long d = panel + (long) p * NR * 4;
                    for (int j = 0; j < nr; j++) {
                        dst.set(F, d + j * 4L, b.getAtIndex(F, s + j * cs));
                    }
                    for (int j = nr; j < NR; j++) {
                        dst.set(F, d + j * 4L, 0f);
                    }
                }
            } else {
                // Columns are contiguous (a transposed B): read each column along p, a block of
                // depths at a time so that the panel rows being written stay in L1.
                for (int p0 = 0; p0 < kc; p0 += B_DEPTH_BLOCK) {
                    int p1 = Math.min(kc, p0 + B_DEPTH_BLOCK);
                    for (int j = 0; j < nr; j++) {
                        long s = src + j * cs;
                        long d = panel + j * 4L;
                        for (int p = p0; p < p1; p++) {
                            dst.set(F, d + (long) p * NR * 4, b.getAtIndex(F, s + p * rs));
                        }
                    }
                }
                for (int p = 0; nr < NR && p < kc; p++) {
                    long d = panel + (long) p * NR * 4;
                    for (int j = nr; j < NR; j++) {
                        dst.set(F, d + j * 4L, 0f);
                    }
                }
            }
        }
    }

    private static void copyRow(MemorySegment src, long from, MemorySegment dst, long to) {
        for (int v = 0; v < NR; v += L) {
            FloatVector.fromMemorySegment(CpuGemm.S, src, from + v * 4L, NO).intoMemorySegment(dst, to + v * 4L, NO);
        }
    }
}
