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

    private CpuGemmPacking() {
    }

    /**
     * Packs rows [0, mc) and depth [0, kc) of A (element (i, p) at {@code off + i*rs + p*cs})
     * into panels of MR rows: panel r holds, for each p, the MR values of its rows at depth p
     * (rows past mc are zeros).
     */
    static void packA(MemorySegment a, long off, long rs, long cs, int mc, int kc, MemorySegment dst) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            long panel = (long) ir * kc * 4;
            long src = off + ir * rs;
            if (Math.abs(cs) <= Math.abs(rs)) {
                // Rows are (close to) contiguous: read each row along p.
                for (int r = 0; r < mr; r++) {
                    long s = src + r * rs;
                    long d = panel + r * 4L;
                    for (int p = 0; p < kc; p++) {
                        dst.set(F, d + (long) p * MR * 4, a.getAtIndex(F, s + p * cs));
                    }
                }
            } else {
                // Columns are contiguous (a transposed A): read the MR values of each p together.
                for (int p = 0; p < kc; p++) {
                    long s = src + p * cs;
                    long d = panel + (long) p * MR * 4;
                    for (int r = 0; r < mr; r++) {
                        dst.set(F, d + r * 4L, a.getAtIndex(F, s + r * rs));
                    }
                }
            }
            for (int r = mr; r < MR; r++) {
                for (int p = 0; p < kc; p++) {
                    dst.set(F, panel + ((long) p * MR + r) * 4, 0f);
                }
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
                // Columns are contiguous (a transposed B): read each column along p.
                for (int j = 0; j < nr; j++) {
                    long s = src + j * cs;
                    long d = panel + j * 4L;
                    for (int p = 0; p < kc; p++) {
                        dst.set(F, d + (long) p * NR * 4, b.getAtIndex(F, s + p * rs));
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
