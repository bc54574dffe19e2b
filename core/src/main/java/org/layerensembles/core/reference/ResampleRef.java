package org.layerensembles.core.reference;

import org.layerensembles.core.backend.Resize;

/**
 * Reference resizing of [N, C, H, W] data in double precision, with the semantics of PyTorch's
 * {@code F.interpolate} on the CPU (modes 'nearest' and 'bilinear').
 *
 * <p>Resizing is separable. Along an axis of input length {@code in} and output length
 * {@code out}, output coordinate d reads source taps i0, i1 with weights w0, w1 (w0 + w1 = 1),
 * where r = 1/scale when a scale factor was given, else in/out:
 * <ul>
 *   <li>out == in: i0 = i1 = d, w0 = 1 (PyTorch copies, whatever scale factor was given);</li>
 *   <li>NEAREST: out == 2*in: i0 = d/2; otherwise i0 = min(floor(d * r), in - 1), computed in
 *       float32 exactly as PyTorch does (an index is discrete: double arithmetic could pick
 *       the neighbouring pixel where d * r is an integer);</li>
 *   <li>BILINEAR: src = d * (in-1)/(out-1) with alignCorners (0 when out = 1), otherwise
 *       src = max(0, (d + 0.5) * r - 0.5); i0 = min(floor(src), in-1), i1 = min(i0+1, in-1),
 *       w1 = src - i0 (clamped to [0, 1]), w0 = 1 - w1.</li>
 * </ul>
 * Forward: y[oy, ox] = sum over the taps of wy * wx * x[iy, ix]. Backward: each dL/dy[oy, ox]
 * goes back to the same taps with the same weights, dL/dx[iy, ix] += wy * wx * dL/dy[oy, ox].
 */
public final class ResampleRef {
    private ResampleRef() {
    }

    /** Source taps and weights of every output coordinate along one axis. */
    public record Taps(int[] i0, int[] i1, double[] w0, double[] w1) {
    }

    public static double[] resize(double[] x, int[] shape, Resize spec) {
        int[] outShape = spec.outputShape("ResampleRef.resize", shape);
        int planes = shape[0] * shape[1];
        int h = shape[2];
        int w = shape[3];
        int oh = outShape[2];
        int ow = outShape[3];
        Taps ty = taps(spec, h, oh, spec.scaleH());
        Taps tx = taps(spec, w, ow, spec.scaleW());
        double[] y = new double[planes * oh * ow];
        for (int plane = 0; plane < planes; plane++) {
            int p = plane * h * w;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double v;
                    if (spec.mode() == Resize.Mode.NEAREST) {
                        v = x[p + ty.i0[i] * w + tx.i0[j]];
                    } else {
                        double top = x[p + ty.i0[i] * w + tx.i0[j]] * tx.w0[j] + x[p + ty.i0[i] * w + tx.i1[j]] * tx.w1[j];
                        double bottom = x[p + ty.i1[i] * w + tx.i0[j]] * tx.w0[j] + x[p + ty.i1[i] * w + tx.i1[j]] * tx.w1[j];
                        v = top * ty.w0[i] + bottom * ty.w1[i];
                    }
                    y[(plane * oh + i) * ow + j] = v;
                }
            }
        }
        return y;
    }

    /** dL/dx of {@link #resize} given dL/dy: the forward's weights, scattered back and added. */
    public static double[] resizeBackward(double[] gradY, int[] inputShape, Resize spec) {
        int[] outShape = spec.outputShape("ResampleRef.resizeBackward", inputShape);
        int planes = inputShape[0] * inputShape[1];
        int h = inputShape[2];
        int w = inputShape[3];
        int oh = outShape[2];
        int ow = outShape[3];
        Taps ty = taps(spec, h, oh, spec.scaleH());
        Taps tx = taps(spec, w, ow, spec.scaleW());
        double[] gx = new double[planes * h * w];
        for (int plane = 0; plane < planes; plane++) {
            int p = plane * h * w;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double g = gradY[(plane * oh + i) * ow + j];
                    if (spec.mode() == Resize.Mode.NEAREST) {
                        gx[p + ty.i0[i] * w + tx.i0[j]] += g;
                    } else {
                        gx[p + ty.i0[i] * w + tx.i0[j]] += ty.w0[i] * tx.w0[j] * g;
                        gx[p + ty.i0[i] * w + tx.i1[j]] += ty.w0[i] * tx.w1[j] * g;
                        gx[p + ty.i1[i] * w + tx.i0[j]] += ty.w1[i] * tx.w0[j] * g;
                        gx[p + ty.i1[i] * w + tx.i1[j]] += ty.w1[i] * tx.w1[j] * g;
                    }
                }
            }
        }
        return gx;
    }

    /** The taps along one axis; {@code scale} is NaN when the output size was given. */
    public static Taps taps(Resize spec, int in, int out, double scale) {
        int[] i0 = new int[out];
        int[] i1 = new int[out];
        double[] w0 = new double[out];
        double[] w1 = new double[out];
        for (int d = 0; d < out; d++) {
            if (out == in) {
                i0[d] = d;
                i1[d] = d;
                w0[d] = 1;
                continue;
            }
            if (spec.mode() == Resize.Mode.NEAREST) {
                i0[d] = nearestSource(d, in, out, scale);
                i1[d] = i0[d];
                w0[d] = 1;
                continue;
            }
            double src;
            if (spec.alignCorners()) {
                src = out > 1 ? d * (in - 1.0) / (out - 1) : 0;
            } else {
                double r = Double.isNaN(scale) ? (double) in / out : 1.0 / scale;
                src = Math.max(0, (d + 0.5) * r - 0.5);
            }
            i0[d] = Math.min((int) Math.floor(src), in - 1);
            i1[d] = Math.min(i0[d] + 1, in - 1);
            w1[d] = Math.min(Math.max(src - i0[d], 0), 1);
            w0[d] = 1 - w1[d];
        }
        return new Taps(i0, i1, w0, w1);
    }

    /** PyTorch's 'nearest' source index for out != in, in float32 arithmetic as PyTorch computes it. */
    private static int nearestSource(int d, int in, int out, double scale) {
        if (out == 2 * in) {
            return d >> 1;
        }
        float r = Double.isNaN(scale) ? (float) in / out : (float) (1.0 / scale);
        float src = d * r;
        return Math.min((int) Math.floor(src), in - 1);
    }
}
