package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernel of the direct 3x3 weight gradient: for 4 rows of dL/dy (4 output channels)
 * and 4 rows of padded input copies (4 input channels at one tap), the 16 dot products over a
 * run of positions, as 16 vector accumulators (lane l sums positions l, l + 16, ...), and then
 * the sums of their lanes in a fixed tree order.
 *
 * <p>The lane sums use no {@code reduceLanes} (whose order depends on the JIT tier): each
 * accumulator's lanes are added in a fixed tree (lanes l and l^8, then l^4, l^2, l^1), so the
 * bits are fixed by the code.
 */
final class DirectConv3x3WeightGradKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final long VB = 64;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /** Lane l^k of a vector, and the lanes with bit k set, for the folding rounds of {@link #laneSums}. */
    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromOp(S, l -> l ^ 8);
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromOp(S, l -> l ^ 4);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(S, l -> l ^ 2);
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(S, l -> l ^ 1);
    private static final VectorMask<Float> BIT8 = VectorMask.fromLong(S, 0xFF00L);
    private static final VectorMask<Float> BIT4 = VectorMask.fromLong(S, 0xF0F0L);
    private static final VectorMask<Float> BIT2 = VectorMask.fromLong(S, 0xCCCCL);
    private static final VectorMask<Float> BIT1 = VectorMask.fromLong(S, 0xAAAAL);

    private DirectConv3x3WeightGradKernel() {
    }

    /**
     * Accumulator {@code 4*i + j} = sum over {@code runs} runs of {@code vectors} vectors of
     * dy row i times x row j, lane by lane, stored as 16 vectors from byte {@code to} of
     * {@code tile}. Byte offsets: x row j starts at {@code xj}, dy row i at {@code gi}; each
     * next run is {@code xStep} (x) and {@code gStep} (dy) bytes further.
     */
    static void accumulate(MemorySegment x, long x0, long x1, long x2, long x3, long xStep,
                           MemorySegment g, long g0, long g1, long g2, long g3, long gStep,
                           int runs, int vectors, MemorySegment tile, long to) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        long end = vectors * VB;
        for (int r = 0; r < runs; r++, x0 += xStep, x1 += xStep, x2 += xStep, x3 += xStep,
                g0 += gStep, g1 += gStep, g2 += gStep, g3 += gStep) {
            for (long o = 0; o < end; o += VB) {
                FloatVector d0 = FloatVector.fromMemorySegment(S, g, g0 + o, NO);
                FloatVector d1 = FloatVector.fromMemorySegment(S, g, g1 + o, NO);
                FloatVector d2 = FloatVector.fromMemorySegment(S, g, g2 + o, NO);
                FloatVector d3 = FloatVector.fromMemorySegment(S, g, g3 + o, NO);
                FloatVector v = FloatVector.fromMemorySegment(S, x, x0 + o, NO);
                a00 = d0.fma(v, a00);
                a10 = d1.fma(v, a10);
                a20 = d2.fma(v, a20);
                a30 = d3.fma(v, a30);
                v = FloatVector.fromMemorySegment(S, x, x1 + o, NO);
                a01 = d0.fma(v, a01);
                a11 = d1.fma(v, a11);
                a21 = d2.fma(v, a21);
                a31 = d3.fma(v, a31);
                v = FloatVector.fromMemorySegment(S, x, x2 + o, NO);
                a02 = d0.fma(v, a02);
                a12 = d1.fma(v, a12);
                a22 = d2.fma(v, a22);
                a32 = d3.fma(v, a32);
                v = FloatVector.fromMemorySegment(S, x, x3 + o, NO);
                a03 = d0.fma(v, a03);
                a13 = d1.fma(v, a13);
                a23 = d2.fma(v, a23);
                a33 = d3.fma(v, a33);
            }
        }
        a00.intoMemorySegment(tile, to, NO);
        a01.intoMemorySegment(tile, to + VB, NO);
        a02.intoMemorySegment(tile, to + 2 * VB, NO);
        a03.intoMemorySegment(tile, to + 3 * VB, NO);
        a10.intoMemorySegment(tile, to + 4 * VB, NO);
        a11.intoMemorySegment(tile, to + 5 * VB, NO);
        a12.intoMemorySegment(tile, to + 6 * VB, NO);
        a13.intoMemorySegment(tile, to + 7 * VB, NO);
        a20.intoMemorySegment(tile, to + 8 * VB, NO);
        a21.intoMemorySegment(tile, to + 9 * VB, NO);
        a22.intoMemorySegment(tile, to + 10 * VB, NO);
        a23.intoMemorySegment(tile, to + 11 * VB, NO);
        a30.intoMemorySegment(tile, to + 12 * VB, NO);
        a31.intoMemorySegment(tile, to + 13 * VB, NO);
        a32.intoMemorySegment(tile, to + 14 * VB, NO);
        a33.intoMemorySegment(tile, to + 15 * VB, NO);
    }

    /**
     * Float i written at byte {@code so} of {@code sums} = the lane total of tile vector i, added
     * in a fixed tree: lane l with lane l^8, then l^4, l^2, l^1. Four folding rounds, each a
     * small loop over the tile in place (round k adds vector i and vector i + k lane-pairwise
     * so that afterwards lane l of vector i holds a partial sum of vector i or i + k, which one
     * told by bit k of l); the last round writes the totals. One method per round, each with its
     * own constant shuffle and mask, so that no vector crosses a call (a vector passed to a
     * method the JIT does not inline is boxed) and each method stays small for C1.
     */
    static void laneSums(MemorySegment tile, long to, MemorySegment sums, long so) {
        fold8(tile, to);
        fold4(tile, to);
        fold2(tile, to);
        fold1(tile, to, sums, so);
    }

    private static void fold8(MemorySegment t, long to) {
        for (int i = 0; i < 8; i++) {
            FloatVector a = FloatVector.fromMemorySegment(S, t, to + i * VB, NO);
            FloatVector b = FloatVector.fromMemorySegment(S, t, to + (i + 8) * VB, NO);
            FloatVector sum = a.blend(b.rearrange(SWAP8), BIT8).add(a.rearrange(SWAP8).blend(b, BIT8));
            sum.intoMemorySegment(t, to + i * VB, NO);
        }
    }

    private static void fold4(MemorySegment t, long to) {
        for (int i = 0; i < 4; i++) {
            FloatVector a = FloatVector.fromMemorySegment(S, t, to + i * VB, NO);
            FloatVector b = FloatVector.fromMemorySegment(S, t, to + (i + 4) * VB, NO);
            FloatVector sum = a.blend(b.rearrange(SWAP4), BIT4).add(a.rearrange(SWAP4).blend(b, BIT4));
            sum.intoMemorySegment(t, to + i * VB, NO);
        }
    }

    private static void fold2(MemorySegment t, long to) {
        for (int i = 0; i < 2; i++) {
            FloatVector a = FloatVector.fromMemorySegment(S, t, to + i * VB, NO);
            FloatVector b = FloatVector.fromMemorySegment(S, t, to + (i + 2) * VB, NO);
            FloatVector sum = a.blend(b.rearrange(SWAP2), BIT2).add(a.rearrange(SWAP2).blend(b, BIT2));
            sum.intoMemorySegment(t, to + i * VB, NO);
        }
    }

    private static void fold1(MemorySegment t, long to, MemorySegment sums, long so) {
        FloatVector a = FloatVector.fromMemorySegment(S, t, to, NO);
        FloatVector b = FloatVector.fromMemorySegment(S, t, to + VB, NO);
        a.blend(b.rearrange(SWAP1), BIT1).add(a.rearrange(SWAP1).blend(b, BIT1)).intoMemorySegment(sums, so, NO);
    }
}
