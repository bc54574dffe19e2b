package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuGemm}'s micro-kernels: each computes one tile of {@code rows x (vectors * L)} floats of
 * {@code A * B} over a depth of {@code kc}, holding the tile in registers, and stores it row-major
 * into the scratch {@code t} (the caller adds or writes it into C: a vector handed to a helper
 * that is not inlined is boxed, 10x slower, so the kernels stay free of such calls).
 *
 * <p>A is read by broadcasts at {@code ao + r*aRow + p*aDepth} (bytes): a packed A micro-panel
 * has aRow = 4 and aDepth = 4 * rows; rows of the tile at or past {@code rows} re-read row
 * {@code rows - 1} and their results are dropped by the caller. B is read as {@code vectors}
 * vectors at {@code bo + p*bStep}: a packed micro-panel (bStep = 4 * columns) or, for a row-major
 * B read in place, its row stride.
 *
 * <p>Depth is not unrolled (on the full 24-accumulator tiles unrolling makes the register file
 * spill, CPU-KERNELS.md) and each kernel is one small method so that C2 compiles it whole. They
 * are at the edge of what C1 can compile: an 8 x 3 tile (eight broadcast rows) made C1 bail out
 * ("out of virtual registers in linear scan") in one JVM run out of three, and then ran 100x
 * slower, never reaching C2 (CPU-KERNELS.md's tiered-compilation trap); keep new tiles at six
 * rows or fewer. The
 * sum of every element runs over p in increasing order by FMA from zero, whatever the tile.
 */
final class GemmKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final long VB = L * 4L;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private GemmKernels() {
    }

    /** 6 rows x 4 vectors (6 x 64 on AVX-512): 24 accumulators, 4 B vectors, 1 broadcast. */
    static void k6x4(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                      MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        long a1 = ao + Math.min(1, rows - 1) * aRow;
        long a2 = ao + Math.min(2, rows - 1) * aRow;
        long a3 = ao + Math.min(3, rows - 1) * aRow;
        long a4 = ao + Math.min(4, rows - 1) * aRow;
        long a5 = ao + Math.min(5, rows - 1) * aRow;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        long o = 0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, NO);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VB, NO);
            FloatVector b3 = FloatVector.fromMemorySegment(S, b, bo + 3 * VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a.get(F, a1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a.get(F, a2 + o));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a.get(F, a3 + o));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(S, a.get(F, a4 + o));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(S, a.get(F, a5 + o));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
            o += aDepth;
            bo += bStep;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c02.intoMemorySegment(t, 2 * VB, NO);
        c03.intoMemorySegment(t, 3 * VB, NO);
        c10.intoMemorySegment(t, 4 * VB, NO);
        c11.intoMemorySegment(t, 5 * VB, NO);
        c12.intoMemorySegment(t, 6 * VB, NO);
        c13.intoMemorySegment(t, 7 * VB, NO);
        c20.intoMemorySegment(t, 8 * VB, NO);
        c21.intoMemorySegment(t, 9 * VB, NO);
        c22.intoMemorySegment(t, 10 * VB, NO);
        c23.intoMemorySegment(t, 11 * VB, NO);
        c30.intoMemorySegment(t, 12 * VB, NO);
        c31.intoMemorySegment(t, 13 * VB, NO);
        c32.intoMemorySegment(t, 14 * VB, NO);
        c33.intoMemorySegment(t, 15 * VB, NO);
        c40.intoMemorySegment(t, 16 * VB, NO);
        c41.intoMemorySegment(t, 17 * VB, NO);
        c42.intoMemorySegment(t, 18 * VB, NO);
        c43.intoMemorySegment(t, 19 * VB, NO);
        c50.intoMemorySegment(t, 20 * VB, NO);
        c51.intoMemorySegment(t, 21 * VB, NO);
        c52.intoMemorySegment(t, 22 * VB, NO);
        c53.intoMemorySegment(t, 23 * VB, NO);
    }

    /** 4 rows x 6 vectors (4 x 96 on AVX-512): for M a multiple of 4 (16, 32, ...). */
    static void k4x6(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                      MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        long a1 = ao + Math.min(1, rows - 1) * aRow;
        long a2 = ao + Math.min(2, rows - 1) * aRow;
        long a3 = ao + Math.min(3, rows - 1) * aRow;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00, c15 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00, c25 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00, c34 = c00, c35 = c00;
        long o = 0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, NO);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VB, NO);
            FloatVector b3 = FloatVector.fromMemorySegment(S, b, bo + 3 * VB, NO);
            FloatVector b4 = FloatVector.fromMemorySegment(S, b, bo + 4 * VB, NO);
            FloatVector b5 = FloatVector.fromMemorySegment(S, b, bo + 5 * VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            c04 = x.fma(b4, c04);
            c05 = x.fma(b5, c05);
            x = FloatVector.broadcast(S, a.get(F, a1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            c14 = x.fma(b4, c14);
            c15 = x.fma(b5, c15);
            x = FloatVector.broadcast(S, a.get(F, a2 + o));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            c24 = x.fma(b4, c24);
            c25 = x.fma(b5, c25);
            x = FloatVector.broadcast(S, a.get(F, a3 + o));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            c34 = x.fma(b4, c34);
            c35 = x.fma(b5, c35);
            o += aDepth;
            bo += bStep;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c02.intoMemorySegment(t, 2 * VB, NO);
        c03.intoMemorySegment(t, 3 * VB, NO);
        c04.intoMemorySegment(t, 4 * VB, NO);
        c05.intoMemorySegment(t, 5 * VB, NO);
        c10.intoMemorySegment(t, 6 * VB, NO);
        c11.intoMemorySegment(t, 7 * VB, NO);
        c12.intoMemorySegment(t, 8 * VB, NO);
        c13.intoMemorySegment(t, 9 * VB, NO);
        c14.intoMemorySegment(t, 10 * VB, NO);
        c15.intoMemorySegment(t, 11 * VB, NO);
        c20.intoMemorySegment(t, 12 * VB, NO);
        c21.intoMemorySegment(t, 13 * VB, NO);
        c22.intoMemorySegment(t, 14 * VB, NO);
        c23.intoMemorySegment(t, 15 * VB, NO);
        c24.intoMemorySegment(t, 16 * VB, NO);
        c25.intoMemorySegment(t, 17 * VB, NO);
        c30.intoMemorySegment(t, 18 * VB, NO);
        c31.intoMemorySegment(t, 19 * VB, NO);
        c32.intoMemorySegment(t, 20 * VB, NO);
        c33.intoMemorySegment(t, 21 * VB, NO);
        c34.intoMemorySegment(t, 22 * VB, NO);
        c35.intoMemorySegment(t, 23 * VB, NO);
    }

    /** 2 rows x 8 vectors (2 x 128 on AVX-512): for M = 1 or 2. */
    static void k2x8(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                      MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        long a1 = ao + Math.min(1, rows - 1) * aRow;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00, c06 = c00, c07 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00, c15 = c00, c16 = c00, c17 = c00;
        long o = 0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, NO);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VB, NO);
            FloatVector b3 = FloatVector.fromMemorySegment(S, b, bo + 3 * VB, NO);
            FloatVector b4 = FloatVector.fromMemorySegment(S, b, bo + 4 * VB, NO);
            FloatVector b5 = FloatVector.fromMemorySegment(S, b, bo + 5 * VB, NO);
            FloatVector b6 = FloatVector.fromMemorySegment(S, b, bo + 6 * VB, NO);
            FloatVector b7 = FloatVector.fromMemorySegment(S, b, bo + 7 * VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            c04 = x.fma(b4, c04);
            c05 = x.fma(b5, c05);
            c06 = x.fma(b6, c06);
            c07 = x.fma(b7, c07);
            x = FloatVector.broadcast(S, a.get(F, a1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            c14 = x.fma(b4, c14);
            c15 = x.fma(b5, c15);
            c16 = x.fma(b6, c16);
            c17 = x.fma(b7, c17);
            o += aDepth;
            bo += bStep;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c02.intoMemorySegment(t, 2 * VB, NO);
        c03.intoMemorySegment(t, 3 * VB, NO);
        c04.intoMemorySegment(t, 4 * VB, NO);
        c05.intoMemorySegment(t, 5 * VB, NO);
        c06.intoMemorySegment(t, 6 * VB, NO);
        c07.intoMemorySegment(t, 7 * VB, NO);
        c10.intoMemorySegment(t, 8 * VB, NO);
        c11.intoMemorySegment(t, 9 * VB, NO);
        c12.intoMemorySegment(t, 10 * VB, NO);
        c13.intoMemorySegment(t, 11 * VB, NO);
        c14.intoMemorySegment(t, 12 * VB, NO);
        c15.intoMemorySegment(t, 13 * VB, NO);
        c16.intoMemorySegment(t, 14 * VB, NO);
        c17.intoMemorySegment(t, 15 * VB, NO);
    }

    /** 6 rows x 2 vectors (6 x 16 on AVX2): 12 accumulators in a 16-register file. */
    static void k6x2(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                      MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        long a1 = ao + Math.min(1, rows - 1) * aRow;
        long a2 = ao + Math.min(2, rows - 1) * aRow;
        long a3 = ao + Math.min(3, rows - 1) * aRow;
        long a4 = ao + Math.min(4, rows - 1) * aRow;
        long a5 = ao + Math.min(5, rows - 1) * aRow;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00;
        FloatVector c50 = c00, c51 = c00;
        long o = 0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a.get(F, a1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a.get(F, a2 + o));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a.get(F, a3 + o));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a.get(F, a4 + o));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a.get(F, a5 + o));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            o += aDepth;
            bo += bStep;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c10.intoMemorySegment(t, 2 * VB, NO);
        c11.intoMemorySegment(t, 3 * VB, NO);
        c20.intoMemorySegment(t, 4 * VB, NO);
        c21.intoMemorySegment(t, 5 * VB, NO);
        c30.intoMemorySegment(t, 6 * VB, NO);
        c31.intoMemorySegment(t, 7 * VB, NO);
        c40.intoMemorySegment(t, 8 * VB, NO);
        c41.intoMemorySegment(t, 9 * VB, NO);
        c50.intoMemorySegment(t, 10 * VB, NO);
        c51.intoMemorySegment(t, 11 * VB, NO);
    }

    /** 4 rows x 3 vectors (4 x 24 on AVX2): for M a multiple of 4 on a 16-register file. */
    static void k4x3(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                      MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        long a1 = ao + Math.min(1, rows - 1) * aRow;
        long a2 = ao + Math.min(2, rows - 1) * aRow;
        long a3 = ao + Math.min(3, rows - 1) * aRow;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00, c02 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00;
        long o = 0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, NO);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a.get(F, a1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a.get(F, a2 + o));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a.get(F, a3 + o));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            o += aDepth;
            bo += bStep;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c02.intoMemorySegment(t, 2 * VB, NO);
        c10.intoMemorySegment(t, 3 * VB, NO);
        c11.intoMemorySegment(t, 4 * VB, NO);
        c12.intoMemorySegment(t, 5 * VB, NO);
        c20.intoMemorySegment(t, 6 * VB, NO);
        c21.intoMemorySegment(t, 7 * VB, NO);
        c22.intoMemorySegment(t, 8 * VB, NO);
        c30.intoMemorySegment(t, 9 * VB, NO);
        c31.intoMemorySegment(t, 10 * VB, NO);
        c32.intoMemorySegment(t, 11 * VB, NO);
    }

    /** 2 rows x 4 vectors (2 x 32 on AVX2): for M = 1 or 2 on a 16-register file. */
    static void k2x4(MemorySegment a, long ao, long aRow, long aDepth, int rows,
                      MemorySegment b, long bo, long bStep, int kc, MemorySegment t) {
        long a1 = ao + Math.min(1, rows - 1) * aRow;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        long o = 0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bo, NO);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bo + VB, NO);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, bo + 2 * VB, NO);
            FloatVector b3 = FloatVector.fromMemorySegment(S, b, bo + 3 * VB, NO);
            FloatVector x = FloatVector.broadcast(S, a.get(F, ao + o));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a.get(F, a1 + o));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            o += aDepth;
            bo += bStep;
        }
        c00.intoMemorySegment(t, 0, NO);
        c01.intoMemorySegment(t, VB, NO);
        c02.intoMemorySegment(t, 2 * VB, NO);
        c03.intoMemorySegment(t, 3 * VB, NO);
        c10.intoMemorySegment(t, 4 * VB, NO);
        c11.intoMemorySegment(t, 5 * VB, NO);
        c12.intoMemorySegment(t, 6 * VB, NO);
        c13.intoMemorySegment(t, 7 * VB, NO);
    }
}
