package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.Conv2dParams;

/**
 * 2-D convolution (cross-correlation, groups = 1) on the CPU. 3x3 kernels with stride 1 and
 * padding 1 run {@link DirectConv3x3} (forward, backward data) and {@link DirectConv3x3WeightGrad}
 * (backward weights, planes of 256 positions or more) where the machine has 512-bit vectors;
 * everything else runs im2col + {@link CpuGemm}:
 * with the weights viewed as a matrix W [F, C*KH*KW] and the columns X of an image
 * [C*KH*KW, OH*OW] ({@link CpuIm2col}),
 * <ul>
 *   <li>forward: Y = W X (+ bias),</li>
 *   <li>backward data: dX = col2im(W^T dY),</li>
 *   <li>backward weights: dW = sum over images of dY X^T.</li>
 * </ul>
 * Work is split into tasks by image and by fixed blocks of output positions or channels, sizes
 * that depend only on the problem; sums across tasks are combined in task order, so results do
 * not depend on the number of threads. Column buffers are per-thread scratch, bounded by
 * {@link #SCRATCH_FLOATS}. A 1x1 kernel with stride 1 and no padding skips im2col (the image is
 * its own column matrix).
 */
final class CpuConv2d {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /** Largest column block a task builds at once (512 KB, half an L2 here). */
    private static final int SCRATCH_FLOATS = 1 << 17;
    /** Output positions a backward-weights task reduces over before its partial is combined. */
    private static final int POSITIONS_PER_WEIGHT_TASK = 4096;
    /** Target rows (channels x taps) of a backward-data task. */
    private static final int ROWS_PER_DATA_TASK = 96;
    /**
     * System property {@code le.conv2d.im2col=true} sends the 3x3 convolutions that the direct
     * kernels take to im2col as well: the baseline of Conv2dBenchmark. Read once.
     */
    private static final boolean IM2COL_ONLY = Boolean.getBoolean("le.conv2d.im2col");

    private CpuConv2d() {
    }

    /** Column blocks are whole multiples of this many positions. */
    private static final int POSITION_GRAIN = 64;

    /**
     * Output positions per column block for a column matrix of {@code rows} rows. A function of
     * the sizes only (not of the vector width either), so that sums that run over blocks
     * (backward weights) add in the same order on every machine.
     */
    private static int chunk(int rows, int positions) {
        int c = Math.max(POSITION_GRAIN, SCRATCH_FLOATS / Math.max(rows, 1) / POSITION_GRAIN * POSITION_GRAIN);
        return Math.max(1, Math.min(c, positions));
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static boolean direct(ConvGeometry g) {
        return !IM2COL_ONLY && DirectConv3x3.supports(g);
    }

    /** y = conv2d(x, w) + bias: x [N, C, H, W], w [F, C, KH, KW], bias [F] or null. */
    public static NDArray forward(NDArray x, NDArray w, NDArray bias, Conv2dParams p) {
        int[] outShape = p.forwardShape(x, w, bias);
        ConvGeometry g = ConvGeometry.of(x.shape(), w.shape(), outShape, p);
        if (direct(g)) {
            return DirectConv3x3.forward(x.contiguous(), w.contiguous(), bias == null ? null : bias.contiguous(), g);
        }
        NDArray out = NDArrays.empty(DType.FLOAT32, outShape);
        if (out.numel() == 0) {
            return out;
        }
        NDArray xc = x.contiguous();
        NDArray wc = w.contiguous();
        NDArray bc = bias == null ? null : bias.contiguous();
        MemorySegment xs = xc.segment();
        MemorySegment ws = wc.segment();
        MemorySegment bs = bc == null ? null : bc.segment();
        MemorySegment ys = out.segment();
        int positions = g.positions();
        int rows = g.rows();
        int chunk = chunk(rows, positions);
        int chunksPerImage = ceilDiv(positions, chunk);
        Parallel.forEach(g.n() * chunksPerImage, t -> {
            int n = t / chunksPerImage;
            int q0 = (t % chunksPerImage) * chunk;
            int len = Math.min(chunk, positions - q0);
            long yOff = (long) n * g.f() * positions + q0;
            if (bs != null) {
                for (int f = 0; f < g.f(); f++) {
                    float b = bs.getAtIndex(F, bc.offset() + f);
                    long row = yOff + (long) f * positions;
                    for (int j = 0; j < len; j++) {
                        ys.setAtIndex(F, row + j, b);
                    }
                }
            }
            long image = xc.offset() + (long) n * g.c() * g.plane();
            if (g.pointwise()) {
                CpuGemm.gemm(g.f(), len, rows, ws, wc.offset(), rows, 1, xs, image + q0, positions, 1,
                        ys, yOff, positions, bs != null, false);
            } else {
                MemorySegment cols = CpuScratch.floats(CpuScratch.CONV_COLUMNS, (long) rows * len);
                CpuIm2col.im2col(g, xs, image, 0, g.c(), q0, len, cols);
                CpuGemm.gemm(g.f(), len, rows, ws, wc.offset(), rows, 1, cols, 0, len, 1,
                        ys, yOff, positions, bs != null, false);
            }
        });
        return out;
    }

    /**
     * dL/dx of conv2d given dL/dy [N, F, OH, OW]. Tasks are (image, block of input channels):
     * each owns its slice of dx, and within it adds column blocks in position order.
     */
    public static NDArray backwardData(NDArray gradY, NDArray w, int[] inputShape, Conv2dParams p) {
        String op = "conv2dBackwardData";
        Checks.float32(op, "gradY", gradY);
        Checks.float32(op, "weight", w);
        int[] outShape = p.outputShape(op, Shapes.validate(op, inputShape), w.shape());
        Checks.sameShape(op, "gradY", gradY.shape(), "conv2d output", outShape);
        ConvGeometry g = ConvGeometry.of(inputShape, w.shape(), outShape, p);
        if (direct(g)) {
            return DirectConv3x3.backwardData(gradY.contiguous(), w.contiguous(), g);
        }
        NDArray dx = g.pointwise() ? NDArrays.empty(DType.FLOAT32, inputShape) : NDArrays.zeros(inputShape);
        if (dx.numel() == 0) {
            return dx;
        }
        NDArray gy = gradY.contiguous();
        NDArray wc = w.contiguous();
        MemorySegment gs = gy.segment();
        MemorySegment ws = wc.segment();
        MemorySegment dxs = dx.segment();
        int positions = g.positions();
        int taps = g.taps();
        int rows = g.rows();
        int channelsPerTask = Math.min(g.c(), Math.max(1, ceilDiv(ROWS_PER_DATA_TASK, taps)));
        int blocks = ceilDiv(g.c(), channelsPerTask);
        Parallel.forEach(g.n() * blocks, t -> {
            int n = t / blocks;
            int c0 = (t % blocks) * channelsPerTask;
            int c1 = Math.min(g.c(), c0 + channelsPerTask);
            int blockRows = (c1 - c0) * taps;
            long gyImage = gy.offset() + (long) n * g.f() * positions;
            long dxImage = (long) n * g.c() * g.plane();
            // A = W^T restricted to these channels' rows: element (r, f) at w[f, c0*taps + r].
            long aOff = wc.offset() + (long) c0 * taps;
            if (g.pointwise()) {
                CpuGemm.gemm(blockRows, positions, g.f(), ws, aOff, 1, rows, gs, gyImage, positions, 1,
                        dxs, dxImage + (long) c0 * g.plane(), g.plane(), false, false);
                return;
            }
            int chunk = chunk(blockRows, positions);
            MemorySegment cols = CpuScratch.floats(CpuScratch.CONV_COLUMNS, (long) blockRows * chunk);
            for (int q0 = 0; q0 < positions; q0 += chunk) {
                int len = Math.min(chunk, positions - q0);
                CpuGemm.gemm(blockRows, len, g.f(), ws, aOff, 1, rows, gs, gyImage + q0, positions, 1,
                        cols, 0, len, false, false);
                CpuIm2col.col2imAdd(g, cols, c0, c1, q0, len, dxs, dxImage);
            }
        });
        return dx;
    }

    /**
     * dL/dw of conv2d given the input and dL/dy. Each task reduces one image's block of output
     * positions into its own partial; partials are then added in task order.
     */
    public static NDArray backwardWeights(NDArray x, NDArray gradY, int[] weightShape, Conv2dParams p) {
        String op = "conv2dBackwardWeights";
        Checks.float32(op, "input", x);
        Checks.float32(op, "gradY", gradY);
        int[] outShape = p.outputShape(op, x.shape(), Shapes.validate(op, weightShape));
        Checks.sameShape(op, "gradY", gradY.shape(), "conv2d output", outShape);
        ConvGeometry g = ConvGeometry.of(x.shape(), weightShape, outShape, p);
        int positions = g.positions();
        int rows = g.rows();
        int size = g.f() * rows;
        if (size == 0 || (long) g.n() * positions == 0) {
            return NDArrays.zeros(weightShape);
        }
        if (direct(g) && DirectConv3x3WeightGrad.preferred(g)) {
            return DirectConv3x3WeightGrad.backwardWeights(x.contiguous(), gradY.contiguous(), g);
        }
        int chunk = chunk(rows, positions);
        int span = chunk * Math.max(1, POSITIONS_PER_WEIGHT_TASK / chunk);
        int spansPerImage = ceilDiv(positions, span);
        int tasks = g.n() * spansPerImage;
        NDArray dw = NDArrays.empty(DType.FLOAT32, weightShape);
        NDArray partials = tasks > 1 ? NDArrays.empty(DType.FLOAT32, tasks - 1, size) : null;
        NDArray xc = x.contiguous();
        NDArray gy = gradY.contiguous();
        MemorySegment xs = xc.segment();
        MemorySegment gs = gy.segment();
        MemorySegment dws = dw.segment();
        MemorySegment ps = partials == null ? null : partials.segment();
        Parallel.forEach(tasks, t -> {
            int n = t / spansPerImage;
            int s0 = (t % spansPerImage) * span;
            int s1 = Math.min(positions, s0 + span);
            MemorySegment dst = t == 0 ? dws : ps;
            long dstOff = t == 0 ? 0 : (long) (t - 1) * size;
            long image = xc.offset() + (long) n * g.c() * g.plane();
            long gyImage = gy.offset() + (long) n * g.f() * positions;
            if (g.pointwise()) {
                // B = X^T: element (q, c) at x[n, c, q].
                CpuGemm.gemm(g.f(), rows, s1 - s0, gs, gyImage + s0, positions, 1, xs, image + s0, 1, positions,
                        dst, dstOff, rows, false, false);
                return;
            }
            MemorySegment cols = CpuScratch.floats(CpuScratch.CONV_COLUMNS, (long) rows * chunk);
            for (int q0 = s0; q0 < s1; q0 += chunk) {
                int len = Math.min(chunk, s1 - q0);
                CpuIm2col.im2col(g, xs, image, 0, g.c(), q0, len, cols);
                // dW (+)= dY[:, q0:q0+len] x cols^T; cols^T element (q, r) at cols[r * len + q].
                CpuGemm.gemm(g.f(), rows, len, gs, gyImage + q0, positions, 1, cols, 0, 1, len,
                        dst, dstOff, rows, q0 > s0, false);
            }
        });
        if (partials != null) {
            addPartials(dws, ps, tasks - 1, size);
        }
        return dw;
    }

    /** dst[e] += partial_1[e] + ... in partial order (so the sum is the same on any thread count). */
    static void addPartials(MemorySegment dst, MemorySegment partials, int count, int size) {
        int grain = 1 << 14;
        Parallel.forEach(Parallel.taskCount(size, grain), t -> {
            int e0 = t * grain;
            int e1 = Math.min(size, e0 + grain);
            for (int k = 0; k < count; k++) {
                addInto(dst, e0, partials, (long) k * size + e0, e1 - e0);
            }
        });
    }

    /** dst[d + i] += src[s + i] for i < count (element offsets). */
    private static void addInto(MemorySegment dst, long d, MemorySegment src, long s, int count) {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        int i = 0;
        for (int upper = sp.loopBound(count); i < upper; i += sp.length()) {
            long db = (d + i) * 4;
            FloatVector.fromMemorySegment(sp, dst, db, NO)
                    .add(FloatVector.fromMemorySegment(sp, src, (s + i) * 4, NO))
                    .intoMemorySegment(dst, db, NO);
        }
        for (; i < count; i++) {
            dst.setAtIndex(F, d + i, dst.getAtIndex(F, d + i) + src.getAtIndex(F, s + i));
        }
    }
}
