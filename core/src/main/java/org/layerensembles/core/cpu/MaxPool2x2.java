package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.backend.Pool2dParams;

/**
 * The U-Net's 2x2 stride-2 unpadded max pool, one plane at a time, with the Vector API.
 *
 * <p>For a vector of L outputs of one output row, two vectors of 2L inputs are loaded from each
 * of the two input rows and split into even and odd columns with a two-vector shuffle. The four
 * window elements are then combined in PyTorch's row-major order with the rule "take v when
 * v > best or v is NaN": (0,0) with (0,1), (1,0) with (1,1), then the second row's winner
 * replaces the first row's under the same rule. That rule is associative over consecutive
 * segments, so the result (value and index) is exactly PyTorch's: first maximum on ties, NaN
 * propagates (the last NaN's index).
 */
final class MaxPool2x2 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    /** Lane k takes element 2k (even) or 2k+1 (odd) of the concatenation of two vectors. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, k -> 2 * k);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, k -> 2 * k + 1);
    private static final IntVector TWICE_IOTA = IntVector.zero(I).addIndex(2);

    private MaxPool2x2() {
    }

    static boolean applies(Pool2dParams p) {
        return p.kernelH() == 2 && p.kernelW() == 2 && p.strideH() == 2 && p.strideW() == 2
                && p.padH() == 0 && p.padW() == 0;
    }

    /**
     * Pools one plane: input at element offset {@code xo} ([h, w], contiguous), output values and
     * indices at element offset {@code yo} ([oh, ow]).
     */
    static void plane(MemorySegment xs, long xo, MemorySegment ys, MemorySegment is, long yo,
                      int h, int w, int oh, int ow) {
        int vecEnd = ow - ow % L;
        for (int i = 0; i < oh; i++) {
            long row0 = xo + 2L * i * w;
            long row1 = row0 + w;
            long out = yo + (long) i * ow;
            int rowBase = 2 * i * w;
            for (int j = 0; j < vecEnd; j += L) {
                long c = 2L * j;
                FloatVector a0 = FloatVector.fromMemorySegment(F, xs, (row0 + c) * 4, ORDER);
                FloatVector a1 = FloatVector.fromMemorySegment(F, xs, (row0 + c + L) * 4, ORDER);
                FloatVector b0 = FloatVector.fromMemorySegment(F, xs, (row1 + c) * 4, ORDER);
                FloatVector b1 = FloatVector.fromMemorySegment(F, xs, (row1 + c + L) * 4, ORDER);
                FloatVector v00 = a0.rearrange(EVEN, a1);
                FloatVector v01 = a0.rearrange(ODD, a1);
                FloatVector v10 = b0.rearrange(EVEN, b1);
                FloatVector v11 = b0.rearrange(ODD, b1);
                IntVector i00 = TWICE_IOTA.add(rowBase + 2 * j);
                IntVector i10 = i00.add(w);

                VectorMask<Float> m = takes(v01, v00);
                FloatVector best0 = v00.blend(v01, m);
                IntVector at0 = i00.blend(i00.add(1), m.cast(I));

                m = takes(v11, v10);
                FloatVector best1 = v10.blend(v11, m);
                IntVector at1 = i10.blend(i10.add(1), m.cast(I));

                m = takes(best1, best0);
                best0.blend(best1, m).intoMemorySegment(ys, (out + j) * 4, ORDER);
                at0.blend(at1, m.cast(I)).intoMemorySegment(is, (out + j) * 4, ORDER);
            }
            for (int j = vecEnd; j < ow; j++) {
                long c = 2L * j;
                float best = xs.getAtIndex(F32, row0 + c);
                int at = rowBase + 2 * j;
                float v = xs.getAtIndex(F32, row0 + c + 1);
                if (v > best || v != v) {
                    best = v;
                    at = rowBase + 2 * j + 1;
                }
                v = xs.getAtIndex(F32, row1 + c);
                if (v > best || v != v) {
                    best = v;
                    at = rowBase + w + 2 * j;
                }
                v = xs.getAtIndex(F32, row1 + c + 1);
                if (v > best || v != v) {
                    best = v;
                    at = rowBase + w + 2 * j + 1;
                }
                ys.setAtIndex(F32, out + j, best);
                is.setAtIndex(I32, out + j, at);
            }
        }
    }

    /** Lanes where the later candidate replaces the current best: greater, or NaN. */
    private static VectorMask<Float> takes(FloatVector candidate, FloatVector best) {
        return candidate.compare(VectorOperators.GT, best).or(candidate.compare(VectorOperators.NE, candidate));
    }
}
