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
 * The U-Net's 2x2 stride-2 unpadded max pool, forward and backward, one plane at a time, with
 * the Vector API.
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
    /** Lane k takes lane k/2 of the first vector (k even) or of the second (k odd); HIGH from lane L/2 on. */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(F, k -> k % 2 == 0 ? k / 2 : L + k / 2);
    private static final VectorShuffle<Float> ZIP_HIGH =
            VectorShuffle.fromOp(F, k -> k % 2 == 0 ? L / 2 + k / 2 : L + L / 2 + k / 2);

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

    /** Whether output rows of this width hold at least one full vector (else all would be tail). */
    static boolean hasVectorColumns(int ow) {
        return ow >= L;
    }

    /**
     * The backward pass of one plane when the input is [2 oh (+1), 2 ow (+1)] and every index
     * lies in its own output's 2x2 window, as this pool's indices do: the windows do not overlap,
     * so each input element receives at most one gradient, and gradX is written in one pass with
     * no zero fill and no scatter. For a vector of L outputs, the gradient is kept in the lanes
     * whose index names each of the four window positions (0 elsewhere) and the even and odd
     * columns are interleaved back into two vectors per input row. Odd last rows and columns,
     * in no window, get 0.
     *
     * @return false, with the plane partly written, when some index is not in its window: the
     *         caller then scatters this plane in full
     */
    static boolean backwardPlane(MemorySegment gys, long go, MemorySegment is, long io, MemorySegment gxs, long xo,
                                 int h, int w, int oh, int ow) {
        int vecEnd = ow - ow % L;
        for (int i = 0; i < oh; i++) {
            long row0 = xo + 2L * i * w;
            long out = (long) i * ow;
            int rowBase = 2 * i * w;
            for (int j = 0; j < vecEnd; j += L) {
                if (!backwardVector(gys, (go + out + j) * 4, is, (io + out + j) * 4, gxs, row0 + 2L * j, w,
                        rowBase + 2 * j)) {
                    return false;
                }
            }
            for (int j = vecEnd; j < ow; j++) {
                float g = gys.getAtIndex(F32, go + out + j);
                int at = is.getAtIndex(I32, io + out + j);
                int p00 = rowBase + 2 * j;
                if (at != p00 && at != p00 + 1 && at != p00 + w && at != p00 + w + 1) {
                    return false;
                }
                long c = row0 + 2L * j;
                gxs.setAtIndex(F32, c, at == p00 ? g : 0f);
                gxs.setAtIndex(F32, c + 1, at == p00 + 1 ? g : 0f);
                gxs.setAtIndex(F32, c + w, at == p00 + w ? g : 0f);
                gxs.setAtIndex(F32, c + w + 1, at == p00 + w + 1 ? g : 0f);
            }
            if (w > 2 * ow) {
                gxs.setAtIndex(F32, row0 + w - 1, 0f);
                gxs.setAtIndex(F32, row0 + 2L * w - 1, 0f);
            }
        }
        if (h > 2 * oh) {
            gxs.asSlice((xo + (long) (h - 1) * w) * 4, w * 4L).fill((byte) 0);
        }
        return true;
    }

    /**
     * Writes the 2x2 windows of L outputs (gradient at byte offset gb, indices at ib) into the
     * two input rows starting at element {@code x0} (rows w apart); {@code p00} is the index of
     * the first window's top-left element. False when an index lies outside its window.
     */
    private static boolean backwardVector(MemorySegment gys, long gb, MemorySegment is, long ib, MemorySegment gxs,
                                          long x0, int w, int p00) {
        FloatVector g = FloatVector.fromMemorySegment(F, gys, gb, ORDER);
        IntVector at = IntVector.fromMemorySegment(I, is, ib, ORDER);
        IntVector top = TWICE_IOTA.add(p00);
        IntVector bottom = top.add(w);
        VectorMask<Float> m00 = at.compare(VectorOperators.EQ, top).cast(F);
        VectorMask<Float> m01 = at.compare(VectorOperators.EQ, top.add(1)).cast(F);
        VectorMask<Float> m10 = at.compare(VectorOperators.EQ, bottom).cast(F);
        VectorMask<Float> m11 = at.compare(VectorOperators.EQ, bottom.add(1)).cast(F);
        if (!m00.or(m01).or(m10).or(m11).allTrue()) {
            return false;
        }
        FloatVector zero = FloatVector.zero(F);
        interleave(zero.blend(g, m00), zero.blend(g, m01), gxs, x0);
        interleave(zero.blend(g, m10), zero.blend(g, m11), gxs, x0 + w);
        return true;
    }

    /** Stores even, odd, even, odd, ... lanes of the two vectors as 2L consecutive floats from element x0. */
    private static void interleave(FloatVector even, FloatVector odd, MemorySegment gxs, long x0) {
        even.rearrange(ZIP_LOW, odd).intoMemorySegment(gxs, x0 * 4, ORDER);
        even.rearrange(ZIP_HIGH, odd).intoMemorySegment(gxs, (x0 + L) * 4, ORDER);
    }

    /** Lanes where the later candidate replaces the current best: greater, or NaN. */
    private static VectorMask<Float> takes(FloatVector candidate, FloatVector best) {
        return candidate.compare(VectorOperators.GT, best).or(candidate.compare(VectorOperators.NE, candidate));
    }
}
