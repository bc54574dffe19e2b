package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernel of the direct 3x3 convolution: one tile of {@link #ROWS} output channels x
 * {@link #VECTORS} vectors of consecutive output positions, held in registers while it sums
 * every input channel's nine taps, read from the padded copies of {@link DirectConv3x3Copies}
 * as unit-stride vectors and multiplied by broadcast weights.
 *
 * <p>Weights are read in place through strides, so that the forward pass (weight element
 * (f, c, tap) at {@code f*C*9 + c*9 + tap}) and the backward-data pass (the same weights
 * transposed to [C, F] and flipped 180 degrees: output channel c, input channel f, tap t at
 * {@code f*C*9 + c*9 + 8 - t}) share this one kernel without packing: row r of the tile reads
 * its weights at {@code w0 + r*rowBytes + c*channelBytes + t*tapBytes}. Rows past the last
 * output channel re-read the last valid row; the caller drops them. Each output is the sum over
 * input channels in order, then taps in order, started from the bias: the same on any thread
 * count.
 *
 * <p>The kernel is kept small (one loop over input channels x taps, one tap per iteration, six
 * rows) so that C1 compiles it at the profiling tier and C2 after it (CPU-KERNELS.md,
 * "tiered-compilation trap"): with eight rows C1 ran out of virtual registers at the profiling
 * tier in the test suite (where other callers enlarge what it inlines), and the kernel stayed
 * at tier 2 with boxed vectors; KernelsReachC2Test caught it.
 */
final class DirectConv3x3Kernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    /** Output channels per tile. */
    static final int ROWS = 6;
    /** Vectors of output positions per tile. */
    static final int VECTORS = 2;
    /** Output positions per tile. */
    static final int POSITIONS = VECTORS * 16;
    private static final long VB = 64;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private DirectConv3x3Kernel() {
    }

    /**
     * One tile. All offsets are in bytes.
     *
     * @param x        the padded copies; {@code xo} is copy 0 of input channel 0 at the tile's
     *                 first output position, copy k is {@code k * copyBytes} further, input
     *                 channel c {@code c * channelBytes} further, kernel row dy {@code dy * rowBytes}
     * @param rows     valid output channels of the tile (1 to {@link #ROWS})
     * @param bias     {@link #ROWS} vectors at {@code bo}, each one row's bias in every lane, that
     *                 start the sums (loaded as vectors: broadcasting the scalars here too made
     *                 the method too big for C1)
     * @param y        where row r of the tile goes: {@code yo + r * yRowBytes}
     */
    static void tile(MemorySegment x, long xo, long copyBytes, long rowBytes, long channelBytes, int channels,
                     MemorySegment w, long w0, long wRowBytes, int rows, long wChannelBytes, long tapBytes,
                     MemorySegment bias, long bo, MemorySegment y, long yo, long yRowBytes) {
        long r1 = w0 + Math.min(1, rows - 1) * wRowBytes;
        long r2 = w0 + Math.min(2, rows - 1) * wRowBytes;
        long r3 = w0 + Math.min(3, rows - 1) * wRowBytes;
        long r4 = w0 + Math.min(4, rows - 1) * wRowBytes;
        long r5 = w0 + Math.min(5, rows - 1) * wRowBytes;
        FloatVector a00 = FloatVector.fromMemorySegment(S, bias, bo, NO), a01 = a00;
        FloatVector a10 = FloatVector.fromMemorySegment(S, bias, bo + VB, NO), a11 = a10;
        FloatVector a20 = FloatVector.fromMemorySegment(S, bias, bo + 2 * VB, NO), a21 = a20;
        FloatVector a30 = FloatVector.fromMemorySegment(S, bias, bo + 3 * VB, NO), a31 = a30;
        FloatVector a40 = FloatVector.fromMemorySegment(S, bias, bo + 4 * VB, NO), a41 = a40;
        FloatVector a50 = FloatVector.fromMemorySegment(S, bias, bo + 5 * VB, NO), a51 = a50;
        long nextCopy = copyBytes; // copy dx is stored dx elements early: tap dx is at the same offset
        long xa = xo;
        long o = 0;
        int dx = 0;
        int dy = 0;
        // One loop over (channel, tap), the position advanced by counters: nested loops here
        // made C1 run out of virtual registers, and a kernel left at a low tier runs boxed.
        for (int k = 9 * channels; k > 0; k--) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, x, xa, NO);
            FloatVector v1 = FloatVector.fromMemorySegment(S, x, xa + VB, NO);
            FloatVector b = FloatVector.broadcast(S, w.get(F, w0 + o));
            a00 = b.fma(v0, a00);
            a01 = b.fma(v1, a01);
            b = FloatVector.broadcast(S, w.get(F, r1 + o));
            a10 = b.fma(v0, a10);
            a11 = b.fma(v1, a11);
            b = FloatVector.broadcast(S, w.get(F, r2 + o));
            a20 = b.fma(v0, a20);
            a21 = b.fma(v1, a21);
            b = FloatVector.broadcast(S, w.get(F, r3 + o));
            a30 = b.fma(v0, a30);
            a31 = b.fma(v1, a31);
            b = FloatVector.broadcast(S, w.get(F, r4 + o));
            a40 = b.fma(v0, a40);
            a41 = b.fma(v1, a41);
            b = FloatVector.broadcast(S, w.get(F, r5 + o));
            a50 = b.fma(v0, a50);
            a51 = b.fma(v1, a51);
            o += tapBytes;
            if (++dx < 3) {
                xa += nextCopy;
            } else if (++dy < 3) {
                dx = 0;
                xa += rowBytes - 2 * nextCopy;
            } else {
                dx = 0;
                dy = 0;
                xa += channelBytes - 2 * rowBytes - 2 * nextCopy;
                o += wChannelBytes - 9 * tapBytes;
            }
        }
        a00.intoMemorySegment(y, yo, NO);
        a01.intoMemorySegment(y, yo + VB, NO);
        yo += yRowBytes;
        a10.intoMemorySegment(y, yo, NO);
        a11.intoMemorySegment(y, yo + VB, NO);
        yo += yRowBytes;
        a20.intoMemorySegment(y, yo, NO);
        a21.intoMemorySegment(y, yo + VB, NO);
        yo += yRowBytes;
        a30.intoMemorySegment(y, yo, NO);
        a31.intoMemorySegment(y, yo + VB, NO);
        yo += yRowBytes;
        a40.intoMemorySegment(y, yo, NO);
        a41.intoMemorySegment(y, yo + VB, NO);
        yo += yRowBytes;
        a50.intoMemorySegment(y, yo, NO);
        a51.intoMemorySegment(y, yo + VB, NO);
    }
}
