package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Writes (or adds) the valid {@code mr x nr} corner of a finished micro-tile, stored row-major in
 * a scratch by a {@link GemmKernels} micro-kernel, into C. Rows of C with unit column stride take
 * vectors (masked at the right edge); any other layout of C (the swapped orientation, where C^T
 * is computed) takes scalar stores.
 */
final class GemmOutput {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final int L = GemmKernels.L;

    private GemmOutput() {
    }

    /**
     * @param t       the tile, rows of {@code columns} floats
     * @param c       C; element (i, j) of the tile goes to element {@code at + i*cRs + j*cCs}
     * @param add     add to C rather than overwrite it
     */
    static void write(MemorySegment t, int columns, int mr, int nr, MemorySegment c, long at, long cRs, long cCs,
                      boolean add) {
        if (cCs == 1 && nr == columns) {
            writeFullRows(t, columns, mr, c, at * 4, cRs * 4, add);
        } else if (cCs == 1) {
            for (int i = 0; i < mr; i++) {
                writeRow(t, (long) i * columns * 4, nr, c, (at + i * cRs) * 4, add);
            }
        } else {
            for (int i = 0; i < mr; i++) {
                writeStrided(t, (long) i * columns, nr, c, at + i * cRs, cCs, add);
            }
        }
    }

    /** Rows of whole vectors: the common case, kept to one tight loop. */
    private static void writeFullRows(MemorySegment t, int columns, int mr, MemorySegment c, long to, long rowBytes,
                                      boolean add) {
        long from = 0;
        long rowEnd = columns * 4L;
        for (int i = 0; i < mr; i++, to += rowBytes) {
            for (long j = 0; j < rowEnd; j += L * 4L, from += L * 4L) {
                FloatVector x = FloatVector.fromMemorySegment(GemmKernels.S, t, from, NO);
                if (add) {
                    x = x.add(FloatVector.fromMemorySegment(GemmKernels.S, c, to + j, NO));
                }
                x.intoMemorySegment(c, to + j, NO);
            }
        }
    }

    private static void writeRow(MemorySegment t, long from, int nr, MemorySegment c, long to, boolean add) {
        for (int j = 0; j < nr; j += L, from += L * 4L, to += L * 4L) {
            int lanes = nr - j;
            FloatVector x = FloatVector.fromMemorySegment(GemmKernels.S, t, from, NO);
            if (lanes >= L) {
                if (add) {
                    x = x.add(FloatVector.fromMemorySegment(GemmKernels.S, c, to, NO));
                }
                x.intoMemorySegment(c, to, NO);
            } else {
                VectorMask<Float> m = GemmKernels.S.indexInRange(0, lanes);
                if (add) {
                    x = x.add(FloatVector.fromMemorySegment(GemmKernels.S, c, to, NO, m));
                }
                x.intoMemorySegment(c, to, NO, m);
            }
        }
    }

    private static void writeStrided(MemorySegment t, long from, int nr, MemorySegment c, long to, long cCs,
                                     boolean add) {
        for (int j = 0; j < nr; j++) {
            float v = t.getAtIndex(F, from + j);
            if (add) {
                v = c.getAtIndex(F, to + j * cCs) + v;
            }
            c.setAtIndex(F, to + j * cCs, v);
        }
    }
}
