package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The three padded copies of one input plane that the direct 3x3 convolution (stride 1,
 * padding 1) reads instead of an im2col matrix.
 *
 * <p>For output positions starting at {@code q0} of a plane of width {@code w} and
 * {@code positions} = height x width elements, element {@code i} of each copy holds input
 * position {@code q0 - w - 1 + i}: copy 0 with the plane's last column zeroed (read by the left
 * taps), copy 1 unchanged (centre taps), copy 2 with the first column zeroed (right taps), and
 * zeros wherever the position falls outside the plane. Then tap (dy, dx) of output position
 * {@code q0 + t} is element {@code t + dy*w + dx} of copy {@code dx}: a left tap at column 0
 * lands on the previous row's last column, which copy 0 zeroes, and a row above or below the
 * plane lands in the zero ends. So every tap is a plain offset and a kernel can stream
 * unit-stride, unmasked vectors along the flattened output.
 *
 * <p>Copy k is stored k elements earlier than its slot ({@code dst + k*stride - k}), so tap
 * (dy, dx) of output {@code q0 + t} sits at {@code dst + dx*stride + t + dy*w}: with the slots
 * 64-byte aligned and w a multiple of the vector length, every load of the kernels is aligned.
 * The stride must therefore exceed {@link #length} by at least 2 ({@link #stride}).
 */
final class DirectConv3x3Copies {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private DirectConv3x3Copies() {
    }

    /** Elements per copy covering {@code outputs} output positions (taps reach w + 1 either side). */
    static long length(int outputs, int w) {
        return outputs + 2L * w + 2;
    }

    /** The smallest slot stride, a whole number of 16-float vectors, for copies of {@code length}. */
    static long stride(long length) {
        return (length + 2 + 15) / 16 * 16;
    }

    /**
     * Writes the three copies of the plane that starts at element {@code plane} of {@code src}
     * for output positions from {@code q0}, each {@code length} elements long, copy k at element
     * {@code dst + k * stride - k} of {@code out} (see the class comment).
     */
    static void copy(MemorySegment src, long plane, int positions, int w, int q0, long length,
                     MemorySegment out, long dst, long stride) {
        long start = (long) q0 - w - 1;
        long lo = Math.min(length, Math.max(0, -start));
        long hi = Math.max(lo, Math.min(length, positions - start));
        for (int k = 0; k < 3; k++) {
            long d = dst + k * stride - k;
            zero(out, d, lo);
            MemorySegment.copy(src, (plane + start + lo) * 4, out, (d + lo) * 4, (hi - lo) * 4);
            zero(out, d + hi, length - hi);
        }
        // Positions start + lo ... start + hi - 1 are in the plane: clear the edge columns.
        long first = start + lo;
        long end = start + hi;
        long left = dst - start;
        for (long q = Math.floorDiv(first, w) * w + w - 1; q < end; q += w) {
            if (q >= first) {
                out.setAtIndex(F, left + q, 0f);
            }
        }
        long right = dst + 2 * stride - 2 - start;
        for (long q = Math.floorDiv(first + w - 1, w) * w; q < end; q += w) {
            out.setAtIndex(F, right + q, 0f);
        }
    }

    private static void zero(MemorySegment out, long at, long count) {
        if (count > 0) {
            out.asSlice(at * 4, count * 4).fill((byte) 0);
        }
    }
}
