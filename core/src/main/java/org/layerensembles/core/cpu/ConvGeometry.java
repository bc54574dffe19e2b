package org.layerensembles.core.cpu;

import org.layerensembles.core.backend.Conv2dParams;

/**
 * The sizes of one 2-D convolution: input [n, c, h, w], weight [f, c, kh, kw], output
 * [n, f, oh, ow], with its stride, padding and dilation.
 */
record ConvGeometry(int n, int c, int h, int w, int f, int kh, int kw, int oh, int ow,
                    int sh, int sw, int ph, int pw, int dh, int dw) {

    static ConvGeometry of(int[] input, int[] weight, int[] output, Conv2dParams p) {
        return new ConvGeometry(input[0], input[1], input[2], input[3], weight[0], weight[2], weight[3],
                output[2], output[3], p.strideH(), p.strideW(), p.padH(), p.padW(), p.dilationH(), p.dilationW());
    }

    /** Output positions per image. */
    int positions() {
        return oh * ow;
    }

    /** Input pixels per channel plane. */
    int plane() {
        return h * w;
    }

    /** Kernel taps per channel. */
    int taps() {
        return kh * kw;
    }

    /** Rows of the column matrix: c * kh * kw. */
    int rows() {
        return c * kh * kw;
    }

    /** A 1x1 kernel with stride 1 and no padding: the image itself is the column matrix. */
    boolean pointwise() {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
    }
}
