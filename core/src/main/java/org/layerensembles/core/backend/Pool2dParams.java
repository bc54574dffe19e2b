package org.layerensembles.core.backend;

import org.layerensembles.core.Shapes;

/**
 * Window, stride and padding of 2-D pooling on [N, C, H, W], with PyTorch's rules: padding at
 * most half the window; output OH = (H + 2*padH - kernelH) / strideH + 1 (floor mode, PyTorch's
 * default {@code ceil_mode=False}; no dilation). For max pooling the padding counts as -infinity
 * (so every window, which always holds at least one real element, takes its max over real
 * elements); for average pooling {@code countIncludePad} says whether padded zeros count in the
 * divisor (PyTorch's default: true, divisor kH*kW; false: the number of real elements).
 */
public record Pool2dParams(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                           boolean countIncludePad) {
    public Pool2dParams {
        if (kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("pool2d: kernel must be >= 1, got " + kernelH + "x" + kernelW);
        }
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("pool2d: stride must be >= 1, got " + strideH + "x" + strideW);
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("pool2d: padding must be >= 0, got " + padH + "x" + padW);
        }
        if (padH > kernelH / 2 || padW > kernelW / 2) {
            throw new IllegalArgumentException("pool2d: padding " + padH + "x" + padW
                    + " must be at most half the kernel " + kernelH + "x" + kernelW);
        }
    }

    /** Square window, stride and padding; padded zeros count in averages. */
    public static Pool2dParams of(int kernel, int stride, int pad) {
        return new Pool2dParams(kernel, kernel, stride, stride, pad, pad, true);
    }

    /**
     * [N, C, OH, OW] for an input of this shape; throws naming {@code op} when the input is not
     * rank 4, has an empty plane, or is smaller than the window after padding.
     */
    public int[] outputShape(String op, int[] input) {
        if (input.length != 4) {
            throw new IllegalArgumentException(op + ": input must be [N, C, H, W], got " + Shapes.str(input));
        }
        if (input[2] < 1 || input[3] < 1) {
            throw new IllegalArgumentException(op + ": input planes must not be empty, got " + Shapes.str(input));
        }
        int paddedH = input[2] + 2 * padH;
        int paddedW = input[3] + 2 * padW;
        if (kernelH > paddedH || kernelW > paddedW) {
            throw new IllegalArgumentException(op + ": window " + kernelH + "x" + kernelW
                    + " is larger than the padded input " + paddedH + "x" + paddedW + " (input " + Shapes.str(input) + ")");
        }
        return new int[] {input[0], input[1], (paddedH - kernelH) / strideH + 1, (paddedW - kernelW) / strideW + 1};
    }

    /**
     * The real rows [h0, h1) and columns [w0, w1) of output (i, j)'s window over an h x w input,
     * and its averaging divisor, as PyTorch computes them: the window is first clipped to the
     * padded input (in floor mode it always fits), its size is the divisor with padding, then it
     * is clipped to the input.
     */
    public Window window(int i, int j, int h, int w) {
        int h0 = i * strideH - padH;
        int w0 = j * strideW - padW;
        int h1 = Math.min(h0 + kernelH, h + padH);
        int w1 = Math.min(w0 + kernelW, w + padW);
        int withPadding = (h1 - h0) * (w1 - w0);
        h0 = Math.max(h0, 0);
        w0 = Math.max(w0, 0);
        h1 = Math.min(h1, h);
        w1 = Math.min(w1, w);
        return new Window(h0, h1, w0, w1, countIncludePad ? withPadding : (h1 - h0) * (w1 - w0));
    }

    /** One pooling window clipped to the input, with its divisor for average pooling. */
    public record Window(int h0, int h1, int w0, int w1, int divisor) {
    }
}
