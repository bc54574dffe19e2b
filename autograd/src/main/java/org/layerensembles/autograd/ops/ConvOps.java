package org.layerensembles.autograd.ops;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.Conv2dParams;
import org.layerensembles.core.backend.ReduceOp;

/**
 * Differentiable 2-D convolutions (groups = 1) on [N, C, H, W] images. Both are built from the
 * backend's three convolution kernels: forward, backward-data and backward-weights.
 *
 * <p>Gradients of y = conv2d(x, w) + bias, given g = dL/dy:
 * <pre>
 *   dL/dx    = conv2dBackwardData(g, w)       (each tap sends g * w back to the pixel it read)
 *   dL/dw    = conv2dBackwardWeights(x, g)    (each tap sends g * x to its weight)
 *   dL/dbias = sum of g over N, OH, OW
 * </pre>
 * A transposed convolution is the backward-data map of a convolution run forwards, so its three
 * gradients are the same three kernels in other roles.
 */
public final class ConvOps {
    private static final int[] NHW = {0, 2, 3};

    private ConvOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /**
     * Cross-correlation of x [N, C, H, W] with w [F, C, KH, KW] (PyTorch's Conv2d layout), plus
     * bias [F] when not null: y [N, F, OH, OW] with OH = (H + 2*padH - dilationH*(KH-1) - 1) /
     * strideH + 1. The input's gradient is computed only when wanted (not for an image that
     * needs none, the first layer's usual case).
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        NDArray y = cpu().conv2d(x.data(), w.data(), bias == null ? null : bias.data(), p);
        return Tensor.fromOp("conv2d", y, (g, needs) -> new NDArray[] {
            needs[0] ? cpu().conv2dBackwardData(g, w.data(), x.shape(), p) : null,
            needs[1] ? cpu().conv2dBackwardWeights(x.data(), g, w.shape(), p) : null,
            needs[2] ? cpu().reduce(ReduceOp.SUM, g, NHW, false) : null}, x, w, bias);
    }

    /** {@link #convTranspose2d(Tensor, Tensor, Tensor, Conv2dParams, int, int)} without output padding. */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p) {
        return convTranspose2d(x, w, bias, p, 0, 0);
    }

    /**
     * Transposed convolution (PyTorch's ConvTranspose2d, groups = 1): x [N, Cin, H, W], weight
     * w [Cin, Cout, KH, KW] (PyTorch's ConvTranspose2d layout), bias [Cout] or null; output
     * [N, Cout, OH, OW] with
     * <pre>
     *   OH = (H - 1)*strideH - 2*padH + dilationH*(KH - 1) + outputPadH + 1   (OW alike)
     * </pre>
     * where {@code p} holds the stride, padding and dilation of the convolution being transposed
     * and the output padding (at least 0, less than the stride) adds rows/columns at the bottom/right
     * that the sizes of a strided convolution cannot tell apart. Kernel 2, stride 2, padding 0
     * doubles H and W (a U-Net's up-sampling).
     *
     * <p>The convolution being transposed maps [N, Cout, OH, OW] to [N, Cin, H, W] with weight w
     * read as [F = Cin, C = Cout, KH, KW]; this op is its backward-data map. Hence, with
     * g = dL/dy:
     * <pre>
     *   y        = conv2dBackwardData(x, w, [N, Cout, OH, OW]) + bias
     *   dL/dx    = conv2d(g, w)                         (the convolution itself)
     *   dL/dw    = conv2dBackwardWeights(g, x)          (roles swapped: g is the convolution's
     *                                                    input, x its output gradient)
     *   dL/dbias = sum of g over N, OH, OW
     * </pre>
     */
    public static Tensor convTranspose2d(Tensor x, Tensor w, Tensor bias, Conv2dParams p, int outputPadH,
                                         int outputPadW) {
        int[] outShape = convTranspose2dShape(x.shape(), w.shape(), p, outputPadH, outputPadW);
        NDArray y = cpu().conv2dBackwardData(x.data(), w.data(), outShape, p);
        if (bias != null) {
            if (bias.rank() != 1 || bias.size(0) != outShape[1]) {
                throw new IllegalArgumentException("convTranspose2d: bias must be [Cout] = [" + outShape[1] + "], got "
                        + Shapes.str(bias.shape()));
            }
            y = cpu().binary(BinaryOp.ADD, y, bias.data().reshape(1, -1, 1, 1));
        }
        return Tensor.fromOp("convTranspose2d", y, (g, needs) -> new NDArray[] {
            needs[0] ? cpu().conv2d(g, w.data(), null, p) : null,
            needs[1] ? cpu().conv2dBackwardWeights(g, x.data(), w.shape(), p) : null,
            needs[2] ? cpu().reduce(ReduceOp.SUM, g, NHW, false) : null}, x, w, bias);
    }

    /**
     * The output shape of {@link #convTranspose2d}, after the checks that the kernels cannot make
     * in the transposed op's terms (ranks, channels, output padding, a non-empty output).
     */
    public static int[] convTranspose2dShape(int[] x, int[] w, Conv2dParams p, int outputPadH, int outputPadW) {
        String op = "convTranspose2d";
        if (x.length != 4) {
            throw new IllegalArgumentException(op + ": input must be [N, Cin, H, W], got " + Shapes.str(x));
        }
        if (w.length != 4) {
            throw new IllegalArgumentException(op + ": weight must be [Cin, Cout, KH, KW], got " + Shapes.str(w));
        }
        if (x[1] != w[0]) {
            throw new IllegalArgumentException(op + ": input " + Shapes.str(x) + " has " + x[1]
                    + " channels but weight " + Shapes.str(w) + " (layout [Cin, Cout, KH, KW]) expects " + w[0]);
        }
        if (outputPadH < 0 || outputPadW < 0 || outputPadH >= p.strideH() || outputPadW >= p.strideW()) {
            throw new IllegalArgumentException(op + ": output padding " + outputPadH + "x" + outputPadW
                    + " must be >= 0 and smaller than the stride " + p.strideH() + "x" + p.strideW());
        }
        int oh = (x[2] - 1) * p.strideH() - 2 * p.padH() + p.dilationH() * (w[2] - 1) + outputPadH + 1;
        int ow = (x[3] - 1) * p.strideW() - 2 * p.padW() + p.dilationW() * (w[3] - 1) + outputPadW + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": output " + oh + "x" + ow + " is empty (input " + Shapes.str(x)
                    + ", weight " + Shapes.str(w) + ", " + p + ")");
        }
        return new int[] {x[0], w[1], oh, ow};
    }
}
