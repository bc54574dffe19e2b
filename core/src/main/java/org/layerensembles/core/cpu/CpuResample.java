package org.layerensembles.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Checks;
import org.layerensembles.core.backend.Resize;

/**
 * Nearest and bilinear resizing of [N, C, H, W], forward and backward, with PyTorch's CPU
 * semantics (see {@link org.layerensembles.core.reference.ResampleRef}, the readable twin, and
 * {@link Resize}).
 *
 * <p>Both modes are separable and done per plane in two passes: bilinear forward first
 * interpolates the needed input rows along W (a scalar gather, H x OW work) into a scratch
 * plane, then blends two of those rows per output row with the Vector API (OH x OW work, unit
 * stride). The backward passes run the same two passes transposed: output rows are added into
 * scratch rows (vectorised), then each scratch row is scattered along W. Every task owns whole
 * planes, so the scatter-adds never race and sum in a fixed order (bit-identical on any number
 * of threads). Tap positions and weights are computed in float32 exactly as PyTorch computes them.
 */
final class CpuResample {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    /** Tasks share the planes: at most this many, each with its own scratch plane. */
    private static final int MAX_TASKS = 16;
    private static final int TASK_GRAIN = 1 << 15;

    private CpuResample() {
    }

    /** Resizes every [H, W] plane of x as {@code spec} says. */
    public static NDArray resize(NDArray x, Resize spec) {
        String op = "resize";
        Checks.float32(op, "input", x);
        int[] in = x.shape();
        int[] outShape = spec.outputShape(op, in);
        NDArray xc = x.contiguous();
        NDArray y = NDArrays.empty(DType.FLOAT32, outShape);
        Plan plan = new Plan(spec, in, outShape);
        MemorySegment xs = xc.segment();
        MemorySegment ys = y.segment();
        if (spec.mode() == Resize.Mode.NEAREST) {
            plan.forPlanes((first, last, scratch) -> {
                for (int plane = first; plane < last; plane++) {
                    nearestPlane(plan, xs, xc.offset() + (long) plane * plan.inPlane(), ys,
                            (long) plane * plan.outPlane());
                }
            }, false);
        } else {
            plan.forPlanes((first, last, scratch) -> {
                for (int plane = first; plane < last; plane++) {
                    bilinearPlane(plan, xs, xc.offset() + (long) plane * plan.inPlane(), ys,
                            (long) plane * plan.outPlane(), scratch);
                }
            }, true);
        }
        return y;
    }

    /** dL/dx of {@link #resize} given dL/dy: each output gradient goes back to its taps, weighted. */
    public static NDArray resizeBackward(NDArray gradY, int[] inputShape, Resize spec) {
        int[] in = spec.backwardInputShape(gradY, inputShape);
        int[] outShape = gradY.shape();
        NDArray gyc = gradY.contiguous();
        NDArray gx = NDArrays.empty(DType.FLOAT32, in);
        Plan plan = new Plan(spec, in, outShape);
        MemorySegment gys = gyc.segment();
        MemorySegment gxs = gx.segment();
        plan.forPlanes((first, last, scratch) -> {
            for (int plane = first; plane < last; plane++) {
                backwardPlane(plan, gys, gyc.offset() + (long) plane * plan.outPlane(), gxs,
                        (long) plane * plan.inPlane(), scratch);
            }
        }, true);
        return gx;
    }

    // ---- per-plane kernels

    // The plane kernels copy fields and table references into locals first: the JIT cannot keep
    // fields in registers across writes to raw memory.

    private static void nearestPlane(Plan p, MemorySegment xs, long xo, MemorySegment ys, long yo) {
        final int[] iy = p.ty.i0;
        final int[] ix = p.tx.i0;
        final int ow = p.ow;
        final int oh = p.oh;
        final int w = p.w;
        for (int i = 0; i < oh; i++) {
            long out = yo + (long) i * ow;
            if (i > 0 && iy[i] == iy[i - 1]) {
                // Upsampling repeats rows: copy the previous output row.
                MemorySegment.copy(ys, (out - ow) * 4, ys, out * 4, ow * 4L);
                continue;
            }
            long row = xo + (long) iy[i] * w;
            for (int j = 0; j < ow; j++) {
                ys.setAtIndex(F32, out + j, xs.getAtIndex(F32, row + ix[j]));
            }
        }
    }

    private static void bilinearPlane(Plan p, MemorySegment xs, long xo, MemorySegment ys, long yo,
                                      Scratch scratch) {
        final Axis ty = p.ty;
        final int ow = p.ow;
        final int oh = p.oh;
        MemorySegment rows;
        long rowsOff;
        if (p.tx.identity) {
            rows = xs;
            rowsOff = xo;
        } else {
            rows = scratch.segment;
            rowsOff = scratch.offset;
            final int[] i0 = p.tx.i0;
            final int[] i1 = p.tx.i1;
            final float[] w0 = p.tx.w0;
            final float[] w1 = p.tx.w1;
            final boolean[] used = p.rowUsed;
            final int h = p.h;
            final int w = p.w;
            for (int r = 0; r < h; r++) {
                if (!used[r]) {
                    continue;
                }
                long src = xo + (long) r * w;
                long dst = rowsOff + (long) r * ow;
                for (int j = 0; j < ow; j++) {
                    float a = xs.getAtIndex(F32, src + i0[j]);
                    float b = xs.getAtIndex(F32, src + i1[j]);
                    rows.setAtIndex(F32, dst + j, a * w0[j] + b * w1[j]);
                }
            }
        }
        for (int i = 0; i < oh; i++) {
            PlaneRows.blend(ys, yo + (long) i * ow, rows, rowsOff + (long) ty.i0[i] * ow, ty.w0[i],
                    rowsOff + (long) ty.i1[i] * ow, ty.w1[i], ow);
        }
    }

    private static void backwardPlane(Plan p, MemorySegment gys, long go, MemorySegment gxs, long xo,
                                      Scratch scratch) {
        final Axis ty = p.ty;
        final int[] i0 = p.tx.i0;
        final int[] i1 = p.tx.i1;
        final float[] w0 = p.tx.w0;
        final float[] w1 = p.tx.w1;
        final boolean[] used = p.rowUsed;
        final int ow = p.ow;
        final int oh = p.oh;
        final int h = p.h;
        final int w = p.w;
        final boolean nearest = p.nearest;
        final MemorySegment rows = scratch.segment;
        final long rowsOff = scratch.offset;
        // Pass 1 (transposed vertical): rows[iy] += wy * gradY[oy], over whole rows.
        rows.asSlice(rowsOff * 4, (long) h * ow * 4).fill((byte) 0);
        for (int i = 0; i < oh; i++) {
            long src = go + (long) i * ow;
            PlaneRows.axpy(rows, rowsOff + (long) ty.i0[i] * ow, gys, src, nearest ? 1f : ty.w0[i], ow);
            if (!nearest) {
                PlaneRows.axpy(rows, rowsOff + (long) ty.i1[i] * ow, gys, src, ty.w1[i], ow);
            }
        }
        // Pass 2 (transposed horizontal): scatter each row along W.
        gxs.asSlice(xo * 4, (long) h * w * 4).fill((byte) 0);
        for (int r = 0; r < h; r++) {
            if (!used[r]) {
                continue;
            }
            long src = rowsOff + (long) r * ow;
            long dst = xo + (long) r * w;
            for (int j = 0; j < ow; j++) {
                float g = rows.getAtIndex(F32, src + j);
                long a = dst + i0[j];
                if (nearest) {
                    gxs.setAtIndex(F32, a, gxs.getAtIndex(F32, a) + g);
                } else {
                    long b = dst + i1[j];
                    gxs.setAtIndex(F32, a, gxs.getAtIndex(F32, a) + w0[j] * g);
                    gxs.setAtIndex(F32, b, gxs.getAtIndex(F32, b) + w1[j] * g);
                }
            }
        }
    }

    // ---- taps

    /**
     * Source taps of every output coordinate along one axis, as PyTorch's CPU kernels compute
     * them (float32 arithmetic; {@code nearest_idx} and {@code compute_source_index_and_lambda}).
     */
    private record Axis(int[] i0, int[] i1, float[] w0, float[] w1, boolean identity) {
        static Axis of(Resize spec, int in, int out, double scale) {
            int[] i0 = new int[out];
            int[] i1 = new int[out];
            float[] w0 = new float[out];
            float[] w1 = new float[out];
            boolean nearest = spec.mode() == Resize.Mode.NEAREST;
            // compute_scales_value / area_pixel_compute_scale, in float.
            float ratio;
            if (!nearest && spec.alignCorners()) {
                ratio = out > 1 ? (float) (in - 1) / (out - 1) : 0f;
            } else {
                ratio = Double.isNaN(scale) ? (float) in / out : (float) (1.0 / scale);
            }
            for (int d = 0; d < out; d++) {
                if (out == in) {
                    i0[d] = d;
                    i1[d] = d;
                    w0[d] = 1f;
                } else if (nearest) {
                    i0[d] = out == 2 * in ? d >> 1 : Math.min((int) Math.floor(d * ratio), in - 1);
                    i1[d] = i0[d];
                    w0[d] = 1f;
                } else {
                    float src = spec.alignCorners() ? ratio * d : Math.max(ratio * (d + 0.5f) - 0.5f, 0f);
                    int k = Math.min((int) Math.floor(src), in - 1);
                    float lambda = Math.min(Math.max(src - k, 0f), 1f);
                    i0[d] = k;
                    i1[d] = k < in - 1 ? k + 1 : k;
                    w1[d] = lambda;
                    w0[d] = 1f - lambda;
                }
            }
            return new Axis(i0, i1, w0, w1, out == in);
        }
    }

    /** Everything a plane kernel needs: extents, taps, which input rows are read, the task split. */
    private static final class Plan {
        final int planes;
        final int h;
        final int w;
        final int oh;
        final int ow;
        final boolean nearest;
        final Axis ty;
        final Axis tx;
        final boolean[] rowUsed;

        Plan(Resize spec, int[] in, int[] out) {
            planes = in[0] * in[1];
            h = in[2];
            w = in[3];
            oh = out[2];
            ow = out[3];
            nearest = spec.mode() == Resize.Mode.NEAREST;
            ty = Axis.of(spec, h, oh, spec.byScale() ? spec.scaleH() : Double.NaN);
            tx = Axis.of(spec, w, ow, spec.byScale() ? spec.scaleW() : Double.NaN);
            rowUsed = new boolean[h];
            for (int i = 0; i < oh; i++) {
                rowUsed[ty.i0[i]] = true;
                rowUsed[ty.i1[i]] = true;
            }
        }

        int inPlane() {
            return h * w;
        }

        int outPlane() {
            return oh * ow;
        }

        /**
         * Runs the planes in at most {@link #MAX_TASKS} tasks of whole planes (the split depends
         * only on the shapes), each with its own scratch plane of H x OW floats when asked.
         */
        void forPlanes(PlaneRange body, boolean needsScratch) {
            if (planes == 0) {
                return;
            }
            int work = Math.max(1, Math.max(inPlane(), outPlane()));
            int perTask = Math.max(Math.max(1, TASK_GRAIN / work), (planes + MAX_TASKS - 1) / MAX_TASKS);
            int tasks = Parallel.taskCount(planes, perTask);
            long scratchPlane = (long) h * ow;
            NDArray scratch = needsScratch ? NDArrays.empty(DType.FLOAT32, tasks, (int) scratchPlane) : null;
            Parallel.forEach(tasks, t -> body.run(t * perTask, Math.min(planes, (t + 1) * perTask),
                    scratch == null ? null : new Scratch(scratch.segment(), scratch.offset() + t * scratchPlane)));
        }
    }

    /** A task's scratch plane: element offset into a native segment. */
    private record Scratch(MemorySegment segment, long offset) {
    }

    @FunctionalInterface
    private interface PlaneRange {
        void run(int first, int last, Scratch scratch);
    }
}
