package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/**
 * dL/dw of the direct 3x3 convolution (stride 1, padding 1): dW[f, c, dy, dx] = sum over
 * images n and positions p of dY[n, f, p] * X[n, c, p + (dy-1)*W + (dx-1)], read from the
 * padded copies of {@link DirectConv3x3Copies} so that every tap is a plain offset, without an
 * im2col matrix.
 *
 * <p>Split: the (image, position) space is cut into chunks of about {@link #CHUNK} positions
 * (a block of one image, or several whole images), sizes that depend only on the problem. Each
 * chunk's sums go into its own partial (the first into dW itself), which are then added in
 * chunk order; within a chunk, tasks take disjoint groups of input channels and write disjoint
 * parts of the partial. Each partial element is one call of
 * {@link DirectConv3x3WeightGradKernel} (lanes over positions, then a fixed lane tree), so
 * the bits do not depend on the thread count.
 *
 * <p>A chunk's runs must be whole vectors: when the plane size is not a multiple of 16, the
 * task copies its dL/dy rows to scratch with zero tails (the input copies are zero there
 * already); otherwise it reads dL/dy in place.
 */
final class DirectConv3x3WeightGrad {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int LANES = 16;
    /** Positions per chunk (whole images are grouped up to this many). */
    private static final int CHUNK = 1024;
    /** Fewer chunks than this also split the input channels across tasks. */
    private static final int MIN_TASKS = 4;
    /** Scratch layout: the kernel's 16 accumulators, their 16 lane totals, then the copies. */
    private static final int TILE_AT = 0;
    private static final int SUMS_AT = 16 * LANES;
    private static final int COPIES_AT = SUMS_AT + LANES;

    /**
     * Smallest plane routed here. On smaller planes (unet's 8x8 layers) a kernel call sums only
     * a few vectors per image and the lane tree and short runs dominate: measured 25% of the FMA
     * peak there against 40% for im2col + GEMM.
     */
    private static final int MIN_PLANE = 256;

    private DirectConv3x3WeightGrad() {
    }

    /** Whether {@link CpuConv2d} should route this geometry here (beyond {@link DirectConv3x3#supports}). */
    static boolean preferred(ConvGeometry g) {
        return g.h() * g.w() >= MIN_PLANE;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int wholeVectors(int positions) {
        return ceilDiv(positions, LANES) * LANES;
    }

    /** dL/dw [F, C, 3, 3] from contiguous x [N, C, H, W] and dL/dy [N, F, H, W]. */
    static NDArray backwardWeights(NDArray x, NDArray gradY, ConvGeometry g) {
        int positions = g.h() * g.w();
        Chunks chunks = Chunks.of(g.n(), positions);
        int quads = ceilDiv(g.c(), 4);
        int groups = Math.min(quads, Math.max(1, ceilDiv(MIN_TASKS, chunks.count())));
        int quadsPerGroup = ceilDiv(quads, groups);
        int groupCount = ceilDiv(quads, quadsPerGroup);
        int size = g.f() * g.c() * 9;
        NDArray dw = NDArrays.empty(DType.FLOAT32, g.f(), g.c(), 3, 3);
        NDArray partials = chunks.count() > 1 ? NDArrays.empty(DType.FLOAT32, chunks.count() - 1, size) : null;
        Parallel.forEach(chunks.count() * groupCount, t -> {
            int chunk = t / groupCount;
            int c0 = (t % groupCount) * quadsPerGroup * 4;
            int c1 = Math.min(g.c(), c0 + quadsPerGroup * 4);
            NDArray dst = chunk == 0 ? dw : partials;
            long at = dst.offset() + (chunk == 0 ? 0 : (long) (chunk - 1) * size);
            reduceChunk(x, gradY, g, chunks, chunk, c0, c1, dst.segment(), at);
        });
        if (partials != null) {
            CpuConv2d.addPartials(dw.segment(), partials.segment(), chunks.count() - 1, size);
        }
        return dw;
    }

    /**
     * How the (image, position) space is cut: {@code perImage} blocks of {@code block} positions
     * per image, or {@code images} whole images per chunk.
     */
    private record Chunks(int count, int perImage, int block, int images, int totalImages, int positions) {
        static Chunks of(int n, int positions) {
            if (positions >= CHUNK) {
                int block = wholeVectors(ceilDiv(positions, ceilDiv(positions, CHUNK)));
                int perImage = ceilDiv(positions, block);
                return new Chunks(n * perImage, perImage, block, 1, n, positions);
            }
            int images = Math.max(1, CHUNK / positions);
            return new Chunks(ceilDiv(n, images), 1, positions, images, n, positions);
        }

        int firstImage(int chunk) {
            return chunk / perImage * images;
        }

        int runs(int chunk) {
            return Math.min(images, totalImages - firstImage(chunk));
        }

        int firstPosition(int chunk) {
            return chunk % perImage * block;
        }

        int length(int chunk) {
            return Math.min(block, positions - firstPosition(chunk));
        }
    }

    /** The partial of one chunk for input channels [c0, c1), written at element {@code at} of dst. */
    private static void reduceChunk(NDArray x, NDArray gradY, ConvGeometry g, Chunks chunks, int chunk,
                                    int c0, int c1, MemorySegment dst, long at) {
        int channels = g.c();
        int filters = g.f();
        int w = g.w();
        int positions = chunks.positions();
        int n0 = chunks.firstImage(chunk);
        int runs = chunks.runs(chunk);
        int q0 = chunks.firstPosition(chunk);
        int len = chunks.length(chunk);
        int vectors = ceilDiv(len, LANES);
        boolean inPlace = positions % LANES == 0;
        long copyLength = DirectConv3x3Copies.stride(DirectConv3x3Copies.length(vectors * LANES, w));
        long runCopies = 3 * copyLength;
        long xFloats = 4L * runs * runCopies;
        long gFloats = inPlace ? 0 : (long) runs * filters * vectors * LANES;
        MemorySegment s = CpuScratch.floats(CpuScratch.CONV_COLUMNS, COPIES_AT + xFloats + gFloats);
        MemorySegment gs;
        long gFirst;
        long gRow;
        if (inPlace) {
            gs = gradY.segment();
            gFirst = (gradY.offset() + (long) n0 * filters * positions + q0) * 4;
            gRow = positions * 4L;
        } else {
            gs = s;
            gFirst = (COPIES_AT + xFloats) * 4;
            gRow = vectors * LANES * 4L;
            copyGradRows(gradY, filters, positions, n0, runs, q0, len, s, COPIES_AT + xFloats, vectors * LANES);
        }
        long gRun = filters * gRow;
        long xChannel = runs * runCopies * 4;
        for (int cq = c0; cq < c1; cq += 4) {
            // The copies of four channels at a time, so that they stay in cache across taps and filters.
            int last = Math.min(3, c1 - 1 - cq); // channels past c1 re-read the last one; dropped below
            for (int j = 0; j <= last; j++) {
                for (int r = 0; r < runs; r++) {
                    long plane = x.offset() + ((long) (n0 + r) * channels + cq + j) * positions;
                    DirectConv3x3Copies.copy(x.segment(), plane, positions, w, q0, copyLength,
                            s, COPIES_AT + ((long) j * runs + r) * runCopies, copyLength);
                }
            }
            long xq = COPIES_AT * 4L;
            for (int tap = 0; tap < 9; tap++) {
                int dy = tap / 3;
                int dx = tap % 3;
                long xt = xq + (dx * copyLength + (long) dy * w) * 4;
                for (int f0 = 0; f0 < filters; f0 += 4) {
                    int lastRow = filters - 1 - f0;
                    long gt = gFirst + f0 * gRow;
                    DirectConv3x3WeightGradKernel.accumulate(s,
                            xt, xt + Math.min(1, last) * xChannel, xt + Math.min(2, last) * xChannel,
                            xt + Math.min(3, last) * xChannel, runCopies * 4,
                            gs, gt, gt + Math.min(1, lastRow) * gRow, gt + Math.min(2, lastRow) * gRow,
                            gt + Math.min(3, lastRow) * gRow, gRun,
                            runs, vectors, s, TILE_AT * 4L);
                    DirectConv3x3WeightGradKernel.laneSums(s, TILE_AT * 4L, s, SUMS_AT * 4L);
                    for (int i = 0; i < Math.min(4, lastRow + 1); i++) {
                        long row = at + ((long) (f0 + i) * channels + cq) * 9 + tap;
                        for (int j = 0; j <= last; j++) {
                            dst.setAtIndex(F, row + j * 9L, s.getAtIndex(F, SUMS_AT + 4 * i + j));
                        }
                    }
                }
            }
        }
    }

    /** dL/dy rows [q0, q0 + len) of images n0 ... n0 + runs - 1 into rows of {@code stride} floats, zero-padded. */
    private static void copyGradRows(NDArray gradY, int filters, int positions, int n0, int runs, int q0, int len,
                                     MemorySegment s, long to, int stride) {
        for (int r = 0; r < runs; r++) {
            for (int f = 0; f < filters; f++, to += stride) {
                long from = gradY.offset() + ((long) (n0 + r) * filters + f) * positions + q0;
                MemorySegment.copy(gradY.segment(), from * 4, s, to * 4, len * 4L);
                s.asSlice((to + len) * 4, (stride - len) * 4L).fill((byte) 0);
            }
        }
    }
}
