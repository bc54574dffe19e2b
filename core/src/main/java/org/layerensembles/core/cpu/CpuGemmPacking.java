package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * Packing of {@link CpuGemm}'s B operand into the k-major, zero-padded micro-panels its
 * micro-kernel reads. Any strides are accepted; the loop order follows the smaller stride so
 * that reads are sequential when one of them is 1 (a row-major or a transposed operand).
 */
final class CpuGemmPacking {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final int NR = CpuGemm.NR;
    private static final int L = CpuGemm.S.length();
    /** Depths per pass when packing a transposed B (16 panel rows = 4 KB on AVX-512). */
    private static final int B_DEPTH_BLOCK = 16;

    private CpuGemmPacking() {
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
