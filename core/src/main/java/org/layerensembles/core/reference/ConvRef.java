package org.layerensembles.core.reference;

import org.layerensembles.core.backend.Conv2dParams;

/**
 * Reference 2-D convolution (cross-correlation, groups = 1), in double precision, by direct
 * loops. Input x [N, C, H, W], weight w [F, C, KH, KW], output y [N, F, OH, OW]:
 * <pre>
 *   y[n, f, oh, ow] = bias[f] + sum over c, kh, kw of
 *                     w[f, c, kh, kw] * x[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
 * </pre>
 * where x is 0 outside the image (zero padding). The gradients follow from the same sum: each
 * term sends {@code gy * w} to its input pixel and {@code gy * x} to its weight.
 */
public final class ConvRef {
    private ConvRef() {
    }

    /** y = conv2d(x, w) + bias (bias may be null). */
    public static double[] forward(double[] x, int[] xShape, double[] w, int[] wShape, double[] bias, Conv2dParams p) {
        int[] yShape = p.outputShape("ConvRef.forward", xShape, wShape);
        double[] y = new double[RefArrays.numel(yShape)];
        int nN = xShape[0], nC = xShape[1], nH = xShape[2], nW = xShape[3];
        int nF = wShape[0], kH = wShape[2], kW = wShape[3];
        int oH = yShape[2], oW = yShape[3];
        for (int n = 0; n < nN; n++) {
            for (int f = 0; f < nF; f++) {
                for (int oh = 0; oh < oH; oh++) {
                    for (int ow = 0; ow < oW; ow++) {
                        double sum = bias == null ? 0 : bias[f];
                        for (int c = 0; c < nC; c++) {
                            for (int kh = 0; kh < kH; kh++) {
                                for (int kw = 0; kw < kW; kw++) {
                                    int ih = oh * p.strideH() - p.padH() + kh * p.dilationH();
                                    int iw = ow * p.strideW() - p.padW() + kw * p.dilationW();
                                    if (ih >= 0 && ih < nH && iw >= 0 && iw < nW) {
                                        sum += w[RefArrays.flat(wShape, f, c, kh, kw)]
                                                * x[RefArrays.flat(xShape, n, c, ih, iw)];
                                    }
                                }
                            }
                        }
                        y[RefArrays.flat(yShape, n, f, oh, ow)] = sum;
                    }
                }
            }
        }
        return y;
    }

    /** dL/dx given dL/dy: dx[n, c, ih, iw] = sum of gy[n, f, oh, ow] * w[f, c, kh, kw] over the taps that read (ih, iw). */
    public static double[] backwardData(double[] gy, double[] w, int[] wShape, int[] xShape, Conv2dParams p) {
        int[] yShape = p.outputShape("ConvRef.backwardData", xShape, wShape);
        double[] dx = new double[RefArrays.numel(xShape)];
        int nN = xShape[0], nC = xShape[1], nH = xShape[2], nW = xShape[3];
        int nF = wShape[0], kH = wShape[2], kW = wShape[3];
        for (int n = 0; n < nN; n++) {
            for (int f = 0; f < nF; f++) {
                for (int oh = 0; oh < yShape[2]; oh++) {
                    for (int ow = 0; ow < yShape[3]; ow++) {
                        double g = gy[RefArrays.flat(yShape, n, f, oh, ow)];
                        for (int c = 0; c < nC; c++) {
                            for (int kh = 0; kh < kH; kh++) {
                                for (int kw = 0; kw < kW; kw++) {
                                    int ih = oh * p.strideH() - p.padH() + kh * p.dilationH();
                                    int iw = ow * p.strideW() - p.padW() + kw * p.dilationW();
                                    if (ih >= 0 && ih < nH && iw >= 0 && iw < nW) {
                                        dx[RefArrays.flat(xShape, n, c, ih, iw)] += g * w[RefArrays.flat(wShape, f, c, kh, kw)];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** dL/dw given the input and dL/dy: dw[f, c, kh, kw] = sum over n, oh, ow of gy[n, f, oh, ow] * x[n, c, ih, iw]. */
    public static double[] backwardWeights(double[] x, int[] xShape, double[] gy, int[] wShape, Conv2dParams p) {
        int[] yShape = p.outputShape("ConvRef.backwardWeights", xShape, wShape);
        double[] dw = new double[RefArrays.numel(wShape)];
        int nN = xShape[0], nC = xShape[1], nH = xShape[2], nW = xShape[3];
        int nF = wShape[0], kH = wShape[2], kW = wShape[3];
        for (int f = 0; f < nF; f++) {
            for (int c = 0; c < nC; c++) {
                for (int kh = 0; kh < kH; kh++) {
                    for (int kw = 0; kw < kW; kw++) {
                        double sum = 0;
                        for (int n = 0; n < nN; n++) {
                            for (int oh = 0; oh < yShape[2]; oh++) {
                                for (int ow = 0; ow < yShape[3]; ow++) {
                                    int ih = oh * p.strideH() - p.padH() + kh * p.dilationH();
                                    int iw = ow * p.strideW() - p.padW() + kw * p.dilationW();
                                    if (ih >= 0 && ih < nH && iw >= 0 && iw < nW) {
                                        sum += gy[RefArrays.flat(yShape, n, f, oh, ow)] * x[RefArrays.flat(xShape, n, c, ih, iw)];
                                    }
                                }
                            }
                        }
                        dw[RefArrays.flat(wShape, f, c, kh, kw)] = sum;
                    }
                }
            }
        }
        return dw;
    }
}
