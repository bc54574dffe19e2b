package org.layerensembles.core.backend;

import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * Stride, zero padding and dilation of a 2-D convolution (groups = 1). Input [N, C, H, W],
 * weight [F, C, KH, KW] (PyTorch's layout), output [N, F, OH, OW] with
 * OH = (H + 2*padH - dilationH*(KH-1) - 1) / strideH + 1.
 */
public record Conv2dParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
    public Conv2dParams {
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("conv2d: stride must be >= 1, got " + strideH + "x" + strideW);
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("conv2d: padding must be >= 0, got " + padH + "x" + padW);
        }
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("conv2d: dilation must be >= 1, got " + dilationH + "x" + dilationW);
        }
    }

    /** Same stride and padding in both directions, no dilation. */
    public static Conv2dParams of(int stride, int pad) {
        return new Conv2dParams(stride, stride, pad, pad, 1, 1);
    }

    /**
     * The output shape for an input and weight shape, after checking ranks, channel agreement and
     * that the dilated kernel fits the padded input.
     */
    public int[] outputShape(String op, int[] input, int[] weight) {
        if (input.length != 4) {
            throw new IllegalArgumentException(op + ": input must be [N, C, H, W], got " + Shapes.str(input));
        }
        if (weight.length != 4) {
            throw new IllegalArgumentException(op + ": weight must be [F, C, KH, KW], got " + Shapes.str(weight));
        }
        if (input[1] != weight[1]) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(input) + " has " + input[1]
                    + " channels but weight " + Shapes.str(weight) + " expects " + weight[1]);
        }
        int effKH = dilationH * (weight[2] - 1) + 1;
        int effKW = dilationW * (weight[3] - 1) + 1;
        int paddedH = input[2] + 2 * padH;
        int paddedW = input[3] + 2 * padW;
        if (effKH > paddedH || effKW > paddedW) {
            throw new IllegalArgumentException(op + ": kernel " + effKH + "x" + effKW + " (dilated) is larger than the padded input "
                    + paddedH + "x" + paddedW + " (input " + Shapes.str(input) + ", weight " + Shapes.str(weight) + ")");
        }
        return new int[] {input[0], weight[0], (paddedH - effKH) / strideH + 1, (paddedW - effKW) / strideW + 1};
    }

    /**
     * Checks the arguments of a conv2d forward (float32 input, weight and bias; bias null or
     * [w.size(0)]) and returns the output shape, as {@link #outputShape} gives it. Every backend's
     * conv2d starts with this.
     */
    public int[] forwardShape(NDArray x, NDArray w, NDArray bias) {
        String op = "conv2d";
        Checks.float32(op, "input", x);
        Checks.float32(op, "weight", w);
        int[] outShape = outputShape(op, x.shape(), w.shape());
        if (bias != null) {
            Checks.float32(op, "bias", bias);
            Checks.channelVector(op, "bias", bias, w.size(0));
        }
        return outShape;
    }
}
