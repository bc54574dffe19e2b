package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/**
 * Direct 3x3 convolution with stride 1, padding 1 and no dilation (all of unet's 3x3 layers),
 * forward and backward data, without an im2col matrix (CPU-KERNELS.md, "Direct 3x3 conv").
 *
 * <p>A task takes one image and a fixed block of its output positions (and, when there are
 * fewer than {@link #MIN_TASKS} such tasks, a group of output-channel tiles): it writes the
 * block's three padded copies of every input channel ({@link DirectConv3x3Copies}) into its
 * thread's scratch, sized to stay in L2, and runs {@link DirectConv3x3Kernel} over every tile
 * of output channels x positions. Backward data is the same convolution of dL/dy with the
 * weights transposed and flipped, which the kernel reads through strides. Each output is
 * summed by one kernel call in a fixed order, so task boundaries do not change any bit.
 *
 * <p>The kernel uses 512-bit vectors; {@link #supports} is false on narrower machines, where
 * {@link CpuConv2d} keeps im2col.
 */
final class DirectConv3x3 {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int ROWS = DirectConv3x3Kernel.ROWS;
    private static final int POSITIONS = DirectConv3x3Kernel.POSITIONS;
    /** Scratch floats the copies of a position block aim at (512 KB, half of an L2 here). */
    private static final long COPY_FLOATS = 1 << 17;
    /** Largest scratch a task may ask for (64 MB); bigger problems keep im2col. */
    private static final long MAX_SCRATCH_FLOATS = 1 << 24;
    /** Fewer tasks than this split the output channels too, so that both cores get work. */
    private static final int MIN_TASKS = 4;
    /** Scratch layout: an edge tile, then the bias of a tile's rows (16 copies each), then the copies. */
    private static final int TILE_AT = 0;
    private static final int BIAS_AT = ROWS * POSITIONS;
    private static final int COPIES_AT = BIAS_AT + ROWS * 16;

    private DirectConv3x3() {
    }

    /** Whether this machine's vectors have the 16 lanes the kernels' fixed lane-sum order assumes. */
    static boolean wideVectors() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    /** Whether this geometry runs here: 3x3, stride 1, padding 1, dilation 1, 512-bit vectors. */
    static boolean supports(ConvGeometry g) {
        return g.kh() == 3 && g.kw() == 3 && g.sh() == 1 && g.sw() == 1 && g.ph() == 1 && g.pw() == 1
                && g.dh() == 1 && g.dw() == 1
                && wideVectors()
                && scratchFloats(Math.max(g.c(), g.f()), g.w(), POSITIONS) <= MAX_SCRATCH_FLOATS;
    }

    /** y = conv3x3(x, w) + bias on contiguous x [N, C, H, W], w [F, C, 3, 3], bias [F] or null. */
    static NDArray forward(NDArray x, NDArray w, NDArray bias, ConvGeometry g) {
        NDArray y = NDArrays.empty(DType.FLOAT32, g.n(), g.f(), g.h(), g.w());
        long rowBytes = (long) g.c() * 9 * 4;
        Weights weights = new Weights(w.segment(), w.offset() * 4, rowBytes, 36, 4);
        convolve(x, g.c(), g.f(), g, weights, bias, y);
        return y;
    }

    /** dL/dx on contiguous dL/dy [N, F, H, W] and w [F, C, 3, 3]: dy convolved with w flipped, [C, F]. */
    static NDArray backwardData(NDArray gradY, NDArray w, ConvGeometry g) {
        NDArray dx = NDArrays.empty(DType.FLOAT32, g.n(), g.c(), g.h(), g.w());
        long channelBytes = (long) g.c() * 9 * 4;
        // Output channel c, input channel f, tap t reads w[f, c, 8 - t].
        Weights weights = new Weights(w.segment(), (w.offset() + 8) * 4, 36, channelBytes, -4);
        convolve(gradY, g.f(), g.c(), g, weights, null, dx);
        return dx;
    }

    /** Where the kernel finds weight (row r, input channel c, tap t): first + r*row + c*channel + t*tap bytes. */
    private record Weights(MemorySegment segment, long first, long rowBytes, long channelBytes, long tapBytes) {
    }

    private static long scratchFloats(int channels, int w, int block) {
        return COPIES_AT + 3L * channels * copyLength(block, w);
    }

    /** Floats per copy for a block of output positions, a multiple of 16 (64-byte aligned copies). */
    private static long copyLength(int block, int w) {
        return DirectConv3x3Copies.stride(DirectConv3x3Copies.length(block, w));
    }

    /** Output positions per task: whole tiles, as many as keep the copies near {@link #COPY_FLOATS}. */
    private static int blockPositions(int channels, int w, int positions) {
        long fit = COPY_FLOATS / (3L * channels) - 2L * w - 2;
        long all = (long) ceilDiv(positions, POSITIONS) * POSITIONS;
        int block = (int) Math.max(POSITIONS, Math.min(all, fit / POSITIONS * POSITIONS));
        int blocks = ceilDiv(positions, block);
        return ceilDiv(ceilDiv(positions, blocks), POSITIONS) * POSITIONS;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void convolve(NDArray in, int channels, int outChannels, ConvGeometry g, Weights weights,
                                 NDArray bias, NDArray out) {
        int images = g.n();
        int w = g.w();
        int positions = g.h() * w;
        if (out.numel() == 0) {
            return;
        }
        int block = blockPositions(channels, w, positions);
        int blocks = ceilDiv(positions, block);
        int tiles = ceilDiv(outChannels, ROWS);
        int groups = Math.min(tiles, Math.max(1, ceilDiv(MIN_TASKS, images * blocks)));
        int tilesPerGroup = ceilDiv(tiles, groups);
        int groupCount = ceilDiv(tiles, tilesPerGroup);
        long copyLength = copyLength(block, w);
        long scratch = scratchFloats(channels, w, block);
        MemorySegment xs = in.segment();
        Parallel.forEach(images * blocks * groupCount, t -> {
            int group = t % groupCount;
            int b = (t / groupCount) % blocks;
            int n = t / groupCount / blocks;
            int q0 = b * block;
            int len = Math.min(block, positions - q0);
            MemorySegment s = CpuScratch.floats(CpuScratch.CONV_COLUMNS, scratch);
            for (int c = 0; c < channels; c++) {
                long plane = in.offset() + ((long) n * channels + c) * positions;
                DirectConv3x3Copies.copy(xs, plane, positions, w, q0, copyLength,
                        s, COPIES_AT + 3L * c * copyLength, copyLength);
            }
            int tile1 = Math.min(tiles, (group + 1) * tilesPerGroup);
            for (int tile = group * tilesPerGroup; tile < tile1; tile++) {
                long yRow = ((long) n * outChannels + tile * ROWS) * positions + q0;
                outputTiles(s, copyLength, channels, w, len, weights, tile * ROWS,
                        Math.min(ROWS, outChannels - tile * ROWS), bias, out.segment(), yRow, positions);
            }
        });
    }

    /**
     * Output channels f0 ... f0 + rows - 1 at the len positions of a block whose copies are in
     * the scratch s; the block's first output of channel f0 is element yRow of y.
     */
    private static void outputTiles(MemorySegment s, long copyLength, int channels, int w, int len,
                                    Weights weights, int f0, int rows, NDArray bias,
                                    MemorySegment y, long yRow, int positions) {
        for (int r = 0; r < ROWS; r++) {
            float b = bias == null ? 0f : bias.segment().getAtIndex(F, bias.offset() + f0 + Math.min(r, rows - 1));
            for (int l = 0; l < 16; l++) {
                s.setAtIndex(F, BIAS_AT + r * 16L + l, b);
            }
        }
        long copyBytes = copyLength * 4;
        long w0 = weights.first() + f0 * weights.rowBytes();
        for (int t0 = 0; t0 < len; t0 += POSITIONS) {
            int valid = Math.min(POSITIONS, len - t0);
            boolean whole = rows == ROWS && valid == POSITIONS;
            long xo = (COPIES_AT + t0) * 4L;
            long yo = (yRow + t0) * 4;
            DirectConv3x3Kernel.tile(s, xo, copyBytes, w * 4L, 3 * copyBytes, channels,
                    weights.segment(), w0, weights.rowBytes(), rows, weights.channelBytes(), weights.tapBytes(),
                    s, BIAS_AT * 4L,
                    whole ? y : s, whole ? yo : TILE_AT * 4L, whole ? positions * 4L : POSITIONS * 4L);
            if (!whole) {
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(s, (TILE_AT + (long) r * POSITIONS) * 4, y, yo + r * positions * 4L, valid * 4L);
                }
            }
        }
    }
}
