package org.layerensembles.core.reference;

import org.layerensembles.core.backend.Pool2dParams;

/**
 * Reference 2-D pooling on [N, C, H, W] data in double precision, with PyTorch's rules (floor
 * mode, no dilation). Output position (oh, ow) looks at the window of input rows
 * {@code oh*sH - pH ... oh*sH - pH + kH - 1} and columns {@code ow*sW - pW ... + kW - 1};
 * positions outside the input are padding.
 * <ul>
 *   <li>max: y = max of the window's real elements (padding is -infinity); the index is the
 *       first maximum in row-major window order, or the last NaN when the window holds one
 *       (a NaN propagates, as in PyTorch). Backward: dL/dx[index] += dL/dy.</li>
 *   <li>average: y = (sum of the window's real elements) / divisor, where the divisor is
 *       kH*kW when padding counts ({@code countIncludePad}) and the number of real elements
 *       otherwise. Backward: every real element of the window gets dL/dy / divisor.</li>
 *   <li>global average: y[n, c] = mean over H and W; backward dL/dx = dL/dy / (H*W).</li>
 * </ul>
 */
public final class PoolRef {
    private PoolRef() {
    }

    /** Max pooling's values and, per output element, the winning position h*W + w in its input plane. */
    public record MaxPool(double[] output, int[] indices, int[] shape) {
    }

    public static MaxPool maxPool2d(double[] x, int[] shape, Pool2dParams p) {
        int[] outShape = p.outputShape("PoolRef.maxPool2d", shape);
        int planes = shape[0] * shape[1];
        int h = shape[2];
        int w = shape[3];
        int oh = outShape[2];
        int ow = outShape[3];
        double[] y = new double[planes * oh * ow];
        int[] idx = new int[y.length];
        for (int plane = 0; plane < planes; plane++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int h0 = Math.max(i * p.strideH() - p.padH(), 0);
                    int h1 = Math.min(i * p.strideH() - p.padH() + p.kernelH(), h);
                    int w0 = Math.max(j * p.strideW() - p.padW(), 0);
                    int w1 = Math.min(j * p.strideW() - p.padW() + p.kernelW(), w);
                    double best = Double.NEGATIVE_INFINITY;
                    int bestAt = h0 * w + w0;
                    for (int r = h0; r < h1; r++) {
                        for (int c = w0; c < w1; c++) {
                            double v = x[plane * h * w + r * w + c];
                            if (v > best || Double.isNaN(v)) {
                                best = v;
                                bestAt = r * w + c;
                            }
                        }
                    }
                    y[(plane * oh + i) * ow + j] = best;
                    idx[(plane * oh + i) * ow + j] = bestAt;
                }
            }
        }
        return new MaxPool(y, idx, outShape);
    }

    /** dL/dx of max pooling: each output gradient goes to the input position its index names. */
    public static double[] maxPool2dBackward(double[] gradY, int[] indices, int[] outShape, int[] inputShape) {
        int planes = inputShape[0] * inputShape[1];
        int inPlane = inputShape[2] * inputShape[3];
        int outPlane = outShape[2] * outShape[3];
        double[] gx = new double[planes * inPlane];
        for (int plane = 0; plane < planes; plane++) {
            for (int k = 0; k < outPlane; k++) {
                gx[plane * inPlane + indices[plane * outPlane + k]] += gradY[plane * outPlane + k];
            }
        }
        return gx;
    }

    public static double[] avgPool2d(double[] x, int[] shape, Pool2dParams p) {
        int[] outShape = p.outputShape("PoolRef.avgPool2d", shape);
        int planes = shape[0] * shape[1];
        int h = shape[2];
        int w = shape[3];
        int oh = outShape[2];
        int ow = outShape[3];
        double[] y = new double[planes * oh * ow];
        for (int plane = 0; plane < planes; plane++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    Pool2dParams.Window win = p.window(i, j, h, w);
                    double sum = 0;
                    for (int r = win.h0(); r < win.h1(); r++) {
                        for (int c = win.w0(); c < win.w1(); c++) {
                            sum += x[plane * h * w + r * w + c];
                        }
                    }
                    y[(plane * oh + i) * ow + j] = sum / win.divisor();
                }
            }
        }
        return y;
    }

    /** dL/dx of average pooling: each output gradient, divided by its divisor, to every real element of its window. */
    public static double[] avgPool2dBackward(double[] gradY, int[] inputShape, Pool2dParams p) {
        int[] outShape = p.outputShape("PoolRef.avgPool2dBackward", inputShape);
        int planes = inputShape[0] * inputShape[1];
        int h = inputShape[2];
        int w = inputShape[3];
        int oh = outShape[2];
        int ow = outShape[3];
        double[] gx = new double[planes * h * w];
        for (int plane = 0; plane < planes; plane++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    Pool2dParams.Window win = p.window(i, j, h, w);
                    double g = gradY[(plane * oh + i) * ow + j] / win.divisor();
                    for (int r = win.h0(); r < win.h1(); r++) {
                        for (int c = win.w0(); c < win.w1(); c++) {
                            gx[plane * h * w + r * w + c] += g;
                        }
                    }
                }
            }
        }
        return gx;
    }

    /** Mean of each [H, W] plane: [N, C, H, W] to [N, C, 1, 1]. */
    public static double[] globalAvgPool2d(double[] x, int[] shape) {
        int planes = shape[0] * shape[1];
        int area = shape[2] * shape[3];
        double[] y = new double[planes];
        for (int plane = 0; plane < planes; plane++) {
            double sum = 0;
            for (int k = 0; k < area; k++) {
                sum += x[plane * area + k];
            }
            y[plane] = sum / area;
        }
        return y;
    }

    public static double[] globalAvgPool2dBackward(double[] gradY, int[] inputShape) {
        int planes = inputShape[0] * inputShape[1];
        int area = inputShape[2] * inputShape[3];
        double[] gx = new double[planes * area];
        for (int plane = 0; plane < planes; plane++) {
            for (int k = 0; k < area; k++) {
                gx[plane * area + k] = gradY[plane] / area;
            }
        }
        return gx;
    }
}
