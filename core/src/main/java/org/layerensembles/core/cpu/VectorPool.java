package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.backend.Pool2dParams;

/**
 * Max and average pooling of one output row at a time with the Vector API, for any window and
 * padding with a horizontal stride of 1 or 2 (e.g. ResNet's 3x3 stride-2 pad-1 max pool).
 *
 * <p>The source is an [SH, SW] plane that already holds the padding (a padded copy made by the
 * caller, or the input itself when there is none): -infinity for max, 0 for average. Then every
 * window lies inside the source and a vector of L outputs reads, for each window offset
 * (kr, kc), one unit-stride vector (stride 1) or the even or odd lanes of two (stride 2). Offsets
 * are visited in PyTorch's row-major order with its update rule (take v when v > best or v is
 * NaN), starting from best = -infinity and the index of the window's first real element, as
 * PyTorch does; padding never wins. So values and indices are exactly PyTorch's. Average adds
 * the padding zeros in the same order (adding 0 is exact) and divides by kH*kW or by the count
 * of real elements.
 *
 * <p>Stride-2 loads never read past the last column a window needs: offset 0 takes the even
 * lanes of two vectors loaded at the window start, offset kc >= 1 the odd lanes of two loaded
 * at kc - 1. Callers handle the last {@code ow % L} outputs of a row with the scalar path.
 */
final class VectorPool {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, k -> 2 * k);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, k -> 2 * k + 1);
    private static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private VectorPool() {
    }

    /** Whether this path handles the parameters (stride-2 windows must be at least 2 wide). */
    static boolean applies(Pool2dParams p) {
        return p.strideW() == 1 || (p.strideW() == 2 && p.kernelW() >= 2);
    }

    /** Outputs per row this path computes; the rest, from here to ow, go to the scalar path. */
    static int vectorEnd(int ow) {
        return ow - ow % L;
    }

    /**
     * Max pooling of a plane's first {@link #vectorEnd} outputs of every row.
     *
     * @param src source plane with padding, at element offset {@code so}, rows {@code sw} wide
     * @param w   input width (unpadded): indices are (row - padH) * w + (col - padW)
     */
    static void max(MemorySegment src, long so, int sw, MemorySegment ys, MemorySegment is, long yo,
                    int w, int oh, int ow, Pool2dParams p) {
        final int kH = p.kernelH();
        final int kW = p.kernelW();
        final int sH = p.strideH();
        final int sW = p.strideW();
        final int pH = p.padH();
        final int pW = p.padW();
        final int end = vectorEnd(ow);
        final FloatVector minusInf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        final IntVector strideIota = IOTA.mul(sW);
        for (int i = 0; i < oh; i++) {
            int top = i * sH;
            int realTop = top - pH;
            long out = yo + (long) i * ow;
            for (int j0 = 0; j0 < end; j0 += L) {
                // Real column where each lane's window starts (negative inside the left padding).
                IntVector colStart = strideIota.add(j0 * sW - pW);
                FloatVector best = minusInf;
                IntVector at = colStart.max(0).add(Math.max(realTop, 0) * w);
                for (int kr = 0; kr < kH; kr++) {
                    long row = so + (long) (top + kr) * sw + (long) j0 * sW;
                    int rowIndex = (realTop + kr) * w;
                    for (int kc = 0; kc < kW; kc++) {
                        FloatVector v = load(src, row, kc, sW);
                        VectorMask<Float> m = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
                        best = best.blend(v, m);
                        at = at.blend(colStart.add(rowIndex + kc), m.cast(I));
                    }
                }
                best.intoMemorySegment(ys, (out + j0) * 4, ORDER);
                at.intoMemorySegment(is, (out + j0) * 4, ORDER);
            }
        }
    }

    /** Average pooling of a plane's first {@link #vectorEnd} outputs of every row (zero padding in src). */
    static void avg(MemorySegment src, long so, int sw, MemorySegment ys, long yo, int h, int w, int oh, int ow,
                    Pool2dParams p) {
        final int kH = p.kernelH();
        final int kW = p.kernelW();
        final int sH = p.strideH();
        final int sW = p.strideW();
        final int pH = p.padH();
        final int pW = p.padW();
        final int end = vectorEnd(ow);
        final boolean includePad = p.countIncludePad();
        final IntVector strideIota = IOTA.mul(sW);
        for (int i = 0; i < oh; i++) {
            int top = i * sH;
            int realTop = top - pH;
            int realRows = Math.min(realTop + kH, h) - Math.max(realTop, 0);
            long out = yo + (long) i * ow;
            for (int j0 = 0; j0 < end; j0 += L) {
                FloatVector sum = FloatVector.zero(F);
                for (int kr = 0; kr < kH; kr++) {
                    long row = so + (long) (top + kr) * sw + (long) j0 * sW;
                    for (int kc = 0; kc < kW; kc++) {
                        sum = sum.add(load(src, row, kc, sW));
                    }
                }
                FloatVector divisor;
                if (includePad) {
                    // In floor mode every window lies inside the padded input: kH*kW elements.
                    divisor = FloatVector.broadcast(F, (float) (kH * kW));
                } else {
                    IntVector colStart = strideIota.add(j0 * sW - pW);
                    IntVector cols = colStart.add(kW).min(w).sub(colStart.max(0));
                    divisor = ((FloatVector) cols.mul(realRows).convert(VectorOperators.I2F, 0));
                }
                sum.div(divisor).intoMemorySegment(ys, (out + j0) * 4, ORDER);
            }
        }
    }

    /** Lanes k = 0..L-1 of source columns (window start of lane k) + kc, for a horizontal stride of 1 or 2. */
    private static FloatVector load(MemorySegment src, long row, int kc, int sW) {
        if (sW == 1) {
            return FloatVector.fromMemorySegment(F, src, (row + kc) * 4, ORDER);
        }
        if (kc == 0) {
            FloatVector a = FloatVector.fromMemorySegment(F, src, row * 4, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(F, src, (row + L) * 4, ORDER);
            return a.rearrange(EVEN, b);
        }
        long at = row + kc - 1;
        FloatVector a = FloatVector.fromMemorySegment(F, src, at * 4, ORDER);
        FloatVector b = FloatVector.fromMemorySegment(F, src, (at + L) * 4, ORDER);
        return a.rearrange(ODD, b);
    }
}
