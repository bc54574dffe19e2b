package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.MaxPoolResult;
import org.layerensembles.core.backend.Pool2dParams;
import org.layerensembles.core.backend.PoolChecks;
import org.layerensembles.core.reference.RefArrays;

/**
 * Max, average and global-average pooling on [N, C, H, W], forward and backward, with PyTorch's
 * semantics (see {@link org.layerensembles.core.reference.PoolRef}, the readable twin).
 *
 * <p>Work is split over the N*C planes: each task owns whole planes, so the scatter-adds of the
 * backward passes never race and their summation order is fixed (bit-identical results on any
 * number of threads). Forward paths, fastest first: the U-Net's 2x2 stride-2 unpadded max pool
 * ({@link MaxPool2x2}); any window with a horizontal stride of 1 or 2, padding included
 * ({@link VectorPool}, on a padded scratch copy of each plane; e.g. ResNet's 3x3 stride-2 pad-1
 * max pool); and the scalar loops here, for other strides and for the last {@code OW mod L}
 * outputs of each row. Backward passes are scalar scatter-adds, except the 2x2 stride-2 max
 * pool's ({@link MaxPool2x2#backwardPlane}); global average pooling is vectorised.
 */
final class CpuPooling {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    /** Elements a task should touch at least, so that tiny planes are batched. */
    private static final int TASK_GRAIN = 1 << 15;

    private CpuPooling() {
    }

    // ---- max pooling

    /** Max pooling with -infinity padding; indices are h*W + w within each input plane (first max wins). */
    public static MaxPoolResult maxPool2d(NDArray x, Pool2dParams p) {
        String op = "maxPool2d";
        Checks.float32(op, "input", x);
        int[] outShape = p.outputShape(op, x.shape());
        NDArray xc = x.contiguous();
        NDArray y = NDArrays.empty(DType.FLOAT32, outShape);
        NDArray idx = NDArrays.empty(DType.INT32, outShape);
        Geometry g = new Geometry(x.shape(), outShape);
        MemorySegment xs = xc.segment();
        MemorySegment ys = y.segment();
        MemorySegment is = idx.segment();
        if (MaxPool2x2.applies(p)) {
            forPlanes(g, null, (first, last, pad) -> {
                for (int plane = first; plane < last; plane++) {
                    MaxPool2x2.plane(xs, xc.offset() + (long) plane * g.inPlane(), ys, is,
                            (long) plane * g.outPlane(), g.h, g.w, g.oh, g.ow);
                }
            });
            return new MaxPoolResult(y, idx);
        }
        boolean vector = VectorPool.applies(p) && VectorPool.vectorEnd(g.ow) > 0;
        forPlanes(g, vector ? p : null, (first, last, pad) -> {
            if (pad != null) {
                pad.fillBorder(Float.NEGATIVE_INFINITY);
            }
            for (int plane = first; plane < last; plane++) {
                long xo = xc.offset() + (long) plane * g.inPlane();
                long yo = (long) plane * g.outPlane();
                int from = 0;
                if (vector) {
                    MemorySegment src = xs;
                    long so = xo;
                    if (pad != null) {
                        pad.copyInterior(xs, xo);
                        src = pad.segment;
                        so = pad.offset;
                    }
                    VectorPool.max(src, so, g.w + 2 * p.padW(), ys, is, yo, g.w, g.oh, g.ow, p);
                    from = VectorPool.vectorEnd(g.ow);
                }
                maxScalar(xs, xo, ys, is, yo, g, p, from);
            }
        });
        return new MaxPoolResult(y, idx);
    }

    /**
     * The scalar path, PyTorch's loop with -infinity padding, for output columns [from, ow) of
     * every row: any window, stride and padding.
     */
    private static void maxScalar(MemorySegment xs, long xo, MemorySegment ys, MemorySegment is, long yo,
                                  Geometry g, Pool2dParams p, int from) {
        // Everything in locals: the JIT cannot keep fields in registers across raw memory writes.
        final int h = g.h;
        final int w = g.w;
        final int oh = g.oh;
        final int ow = g.ow;
        final int kH = p.kernelH();
        final int kW = p.kernelW();
        final int sH = p.strideH();
        final int sW = p.strideW();
        final int pH = p.padH();
        final int pW = p.padW();
        for (int i = 0; i < oh; i++) {
            int h0 = Math.max(i * sH - pH, 0);
            int h1 = Math.min(i * sH - pH + kH, h);
            long out = yo + (long) i * ow;
            for (int j = from; j < ow; j++) {
                int w0 = Math.max(j * sW - pW, 0);
                int w1 = Math.min(j * sW - pW + kW, w);
                float best = Float.NEGATIVE_INFINITY;
                int bestAt = h0 * w + w0;
                for (int r = h0; r < h1; r++) {
                    long row = xo + (long) r * w;
                    for (int c = w0; c < w1; c++) {
                        float v = xs.getAtIndex(F32, row + c);
                        // v != v: a NaN wins and propagates, as in PyTorch.
                        if (v > best || v != v) {
                            best = v;
                            bestAt = r * w + c;
                        }
                    }
                }
                ys.setAtIndex(F32, out + j, best);
                is.setAtIndex(I32, out + j, bestAt);
            }
        }
    }

    /**
     * Routes each output gradient to the input position its index names, adding where windows
     * overlap (scatter-add). Indices must lie in [0, H*W) of the input plane. When the shapes
     * are those of a 2x2 stride-2 pool with output rows of at least a vector, and a plane's
     * indices all lie in their own windows (as that pool's do), {@link MaxPool2x2#backwardPlane}
     * writes the plane in one vectorised pass.
     */
    public static NDArray maxPool2dBackward(NDArray gradY, NDArray indices, int[] inputShape) {
        String op = "maxPool2dBackward";
        int[] in = PoolChecks.maxPoolBackward(gradY, indices, inputShape);
        int[] gy = gradY.shape();
        NDArray gyc = gradY.contiguous();
        NDArray ic = indices.contiguous();
        NDArray gx = NDArrays.empty(DType.FLOAT32, in);
        Geometry g = new Geometry(in, gy);
        MemorySegment gys = gyc.segment();
        MemorySegment is = ic.segment();
        MemorySegment gxs = gx.segment();
        int area = g.inPlane();
        // rows narrower than a vector stay on the scatter, which was faster there
        boolean windows2x2 = g.h / 2 == g.oh && g.w / 2 == g.ow && MaxPool2x2.hasVectorColumns(g.ow);
        forPlanes(g, null, (first, last, pad) -> {
            for (int plane = first; plane < last; plane++) {
                long xo = (long) plane * area;
                if (windows2x2 && MaxPool2x2.backwardPlane(gys, gyc.offset() + (long) plane * g.outPlane(), is,
                        ic.offset() + (long) plane * g.outPlane(), gxs, xo, g.h, g.w, g.oh, g.ow)) {
                    continue;
                }
                gxs.asSlice(xo * 4, area * 4L).fill((byte) 0);
                final int outPlane = g.outPlane();
                final long yo = (long) plane * outPlane;
                for (int k = 0; k < outPlane; k++) {
                    int at = is.getAtIndex(I32, ic.offset() + yo + k);
                    if (at < 0 || at >= area) {
                        throw new IllegalArgumentException(op + ": index " + at + " at "
                                + Arrays.toString(RefArrays.unflat(gy, yo + k)) + " is outside the input plane "
                                + g.h + "x" + g.w);
                    }
                    long dst = xo + at;
                    gxs.setAtIndex(F32, dst, gxs.getAtIndex(F32, dst) + gys.getAtIndex(F32, gyc.offset() + yo + k));
                }
            }
        });
        return gx;
    }

    // ---- average pooling

    /** Average pooling; the divisor is kH*kW or the number of real elements ({@code countIncludePad}). */
    public static NDArray avgPool2d(NDArray x, Pool2dParams p) {
        String op = "avgPool2d";
        Checks.float32(op, "input", x);
        int[] outShape = p.outputShape(op, x.shape());
        NDArray xc = x.contiguous();
        NDArray y = NDArrays.empty(DType.FLOAT32, outShape);
        Geometry g = new Geometry(x.shape(), outShape);
        MemorySegment xs = xc.segment();
        MemorySegment ys = y.segment();
        boolean vector = VectorPool.applies(p) && VectorPool.vectorEnd(g.ow) > 0;
        forPlanes(g, vector ? p : null, (first, last, pad) -> {
            if (pad != null) {
                pad.fillBorder(0f);
            }
            for (int plane = first; plane < last; plane++) {
                long xo = xc.offset() + (long) plane * g.inPlane();
                long yo = (long) plane * g.outPlane();
                int from = 0;
                if (vector) {
                    MemorySegment src = xs;
                    long so = xo;
                    if (pad != null) {
                        pad.copyInterior(xs, xo);
                        src = pad.segment;
                        so = pad.offset;
                    }
                    VectorPool.avg(src, so, g.w + 2 * p.padW(), ys, yo, g.h, g.w, g.oh, g.ow, p);
                    from = VectorPool.vectorEnd(g.ow);
                }
                avgScalar(xs, xo, ys, yo, g, p, from);
            }
        });
        return y;
    }

    /** The scalar path for output columns [from, ow) of every row. */
    private static void avgScalar(MemorySegment xs, long xo, MemorySegment ys, long yo, Geometry g, Pool2dParams p,
                                  int from) {
        final int w = g.w;
        final int ow = g.ow;
        for (int i = 0; i < g.oh; i++) {
            long out = yo + (long) i * ow;
            for (int j = from; j < ow; j++) {
                Pool2dParams.Window win = p.window(i, j, g.h, w);
                float sum = 0;
                for (int r = win.h0(); r < win.h1(); r++) {
                    long row = xo + (long) r * w;
                    for (int c = win.w0(); c < win.w1(); c++) {
                        sum += xs.getAtIndex(F32, row + c);
                    }
                }
                ys.setAtIndex(F32, out + j, sum / win.divisor());
            }
        }
    }

    /** Spreads each output gradient, divided by its window's divisor, over the window's real elements. */
    public static NDArray avgPool2dBackward(NDArray gradY, int[] inputShape, Pool2dParams p) {
        int[] in = PoolChecks.avgPoolBackward(gradY, inputShape, p);
        int[] outShape = gradY.shape();
        NDArray gyc = gradY.contiguous();
        NDArray gx = NDArrays.empty(DType.FLOAT32, in);
        Geometry g = new Geometry(in, outShape);
        MemorySegment gys = gyc.segment();
        MemorySegment gxs = gx.segment();
        forPlanes(g, null, (first, last, pad) -> {
            for (int plane = first; plane < last; plane++) {
                long xo = (long) plane * g.inPlane();
                gxs.asSlice(xo * 4, g.inPlane() * 4L).fill((byte) 0);
                long yo = gyc.offset() + (long) plane * g.outPlane();
                for (int i = 0; i < g.oh; i++) {
                    for (int j = 0; j < g.ow; j++) {
                        Pool2dParams.Window win = p.window(i, j, g.h, g.w);
                        float share = gys.getAtIndex(F32, yo + i * g.ow + j) / win.divisor();
                        for (int r = win.h0(); r < win.h1(); r++) {
                            for (int c = win.w0(); c < win.w1(); c++) {
                                long at = xo + r * g.w + c;
                                gxs.setAtIndex(F32, at, gxs.getAtIndex(F32, at) + share);
                            }
                        }
                    }
                }
            }
        });
        return gx;
    }

    // ---- global average pooling

    /** Mean over H and W: [N, C, H, W] to [N, C, 1, 1]. */
    public static NDArray globalAvgPool2d(NDArray x) {
        PoolChecks.globalAvgPool(x);
        int[] in = x.shape();
        int[] outShape = {in[0], in[1], 1, 1};
        NDArray xc = x.contiguous();
        NDArray y = NDArrays.empty(DType.FLOAT32, outShape);
        Geometry g = new Geometry(in, outShape);
        MemorySegment xs = xc.segment();
        MemorySegment ys = y.segment();
        forPlanes(g, null, (first, last, pad) -> {
            for (int plane = first; plane < last; plane++) {
                double sum = PlaneRows.sum(xs, xc.offset() + (long) plane * g.inPlane(), g.inPlane());
                ys.setAtIndex(F32, plane, (float) (sum / g.inPlane()));
            }
        });
        return y;
    }

    /** dL/dx = dL/dy / (H*W) over each plane. */
    public static NDArray globalAvgPool2dBackward(NDArray gradY, int[] inputShape) {
        int[] in = PoolChecks.globalAvgPoolBackward(gradY, inputShape);
        NDArray gyc = gradY.contiguous();
        NDArray gx = NDArrays.empty(DType.FLOAT32, in);
        Geometry g = new Geometry(in, gradY.shape());
        MemorySegment gys = gyc.segment();
        MemorySegment gxs = gx.segment();
        forPlanes(g, null, (first, last, pad) -> {
            for (int plane = first; plane < last; plane++) {
                float share = gys.getAtIndex(F32, gyc.offset() + plane) / g.inPlane();
                PlaneRows.fill(gxs, (long) plane * g.inPlane(), g.inPlane(), share);
            }
        });
        return gx;
    }

    // ---- shared plumbing

    /** Plane counts and extents of an [N, C, H, W] input and its [N, C, OH, OW] output. */
    private record Geometry(int planes, int h, int w, int oh, int ow) {
        Geometry(int[] in, int[] out) {
            this(in[0] * in[1], in[2], in[3], out[2], out[3]);
        }

        int inPlane() {
            return h * w;
        }

        int outPlane() {
            return oh * ow;
        }
    }

    @FunctionalInterface
    private interface PlaneRange {
        /** Planes [first, last); {@code pad} is this task's padded scratch plane, or null. */
        void run(int first, int last, PaddedPlane pad);
    }

    /**
     * Runs whole planes per task; how many per task depends only on the plane sizes. When
     * {@code padFor} has padding, each task gets its own padded scratch plane.
     */
    private static void forPlanes(Geometry g, Pool2dParams padFor, PlaneRange body) {
        int perPlane = Math.max(1, Math.max(g.inPlane(), g.outPlane()));
        int planesPerTask = Math.max(1, TASK_GRAIN / perPlane);
        int tasks = Parallel.taskCount(g.planes, planesPerTask);
        boolean padded = padFor != null && (padFor.padH() > 0 || padFor.padW() > 0);
        int ph = padded ? g.h + 2 * padFor.padH() : 0;
        int pw = padded ? g.w + 2 * padFor.padW() : 0;
        NDArray scratch = padded && tasks > 0 ? NDArrays.empty(DType.FLOAT32, tasks, ph * pw) : null;
        Parallel.forEach(tasks, t -> body.run(t * planesPerTask, Math.min(g.planes, (t + 1) * planesPerTask),
                scratch == null ? null
                        : new PaddedPlane(scratch.segment(), scratch.offset() + (long) t * ph * pw, g.h, g.w,
                                padFor.padH(), padFor.padW())));
    }

    /** A task's scratch plane of (H + 2 padH) x (W + 2 padW) floats: a border, then the input copied inside. */
    private record PaddedPlane(MemorySegment segment, long offset, int h, int w, int padH, int padW) {
        int width() {
            return w + 2 * padW;
        }

        /** Sets the border (never overwritten by {@link #copyInterior}) to {@code value}. */
        void fillBorder(float value) {
            int pw = width();
            PlaneRows.fill(segment, offset, padH * pw, value);
            PlaneRows.fill(segment, offset + (long) (padH + h) * pw, padH * pw, value);
            for (int r = padH; r < padH + h; r++) {
                long row = offset + (long) r * pw;
                for (int c = 0; c < padW; c++) {
                    segment.setAtIndex(F32, row + c, value);
                    segment.setAtIndex(F32, row + padW + w + c, value);
                }
            }
        }

        void copyInterior(MemorySegment xs, long xo) {
            int pw = width();
            for (int r = 0; r < h; r++) {
                MemorySegment.copy(xs, (xo + (long) r * w) * 4, segment,
                        (offset + (long) (r + padH) * pw + padW) * 4, w * 4L);
            }
        }
    }
}
