package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.ConvOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Conv2dParams;

/**
 * PyTorch's {@code nn.ConvTranspose2d} (groups = 1): [N, inChannels, H, W] to
 * [N, outChannels, OH, OW] with OH = (H - 1)*stride - 2*padding + dilation*(kernel - 1) +
 * outputPadding + 1. Kernel 2, stride 2 doubles H and W (a U-Net's up-convolution).
 *
 * <p>Parameters {@code weight} [inChannels, outChannels, KH, KW] (PyTorch's transposed layout)
 * and {@code bias} [outChannels]. Default initialisation as PyTorch's: kaiming_uniform_ with
 * a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)), where fan_in is computed from the weight shape by PyTorch's rule (dimension 1
 * times the kernel): fan_in = outChannels*KH*KW. Weight draws first, then bias.
 */
public final class ConvTranspose2d extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final Conv2dParams params;
    private final int outputPadding;

    /**
     * @param inChannels    channels of the input
     * @param outChannels   channels of the output
     * @param kernel        kernel height and width
     * @param stride        the stride of the convolution being transposed (the up-sampling factor), >= 1
     * @param padding       padding of the convolution being transposed: removes that many rows/columns per side
     * @param outputPadding extra rows/columns at the bottom/right, 0 <= outputPadding < stride (PyTorch also
     *                      allows up to the dilation; ConvOps does not)
     * @param dilation      spacing between kernel taps, >= 1
     * @param bias          whether to add a learned bias per output channel
     * @param rng           where the initial weights are drawn from
     */
    public ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding, int outputPadding,
                           int dilation, boolean bias, SeededRandom rng) {
        if (inChannels < 1 || outChannels < 1 || kernel < 1) {
            throw new IllegalArgumentException("ConvTranspose2d: channels and kernel must be >= 1, got in " + inChannels
                    + ", out " + outChannels + ", kernel " + kernel);
        }
        if (outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("ConvTranspose2d: output padding must be >= 0 and smaller than the "
                    + "stride, got " + outputPadding + " (stride " + stride + ")");
        }
        this.params = new Conv2dParams(stride, stride, padding, padding, dilation, dilation);
        this.outputPadding = outputPadding;
        NDArray w = Conv2d.defaultWeight(rng, inChannels, outChannels, kernel, kernel);
        this.weight = parameter("weight", Tensor.parameter(w));
        this.bias = bias ? parameter("bias", Tensor.parameter(Conv2d.defaultBias(outChannels, w.shape(), rng))) : null;
    }

    /** Kernel {@code factor}, stride {@code factor}, no padding, with bias: multiplies H and W by {@code factor}. */
    public static ConvTranspose2d upsampling(int inChannels, int outChannels, int factor, SeededRandom rng) {
        return new ConvTranspose2d(inChannels, outChannels, factor, factor, 0, 0, 1, true, rng);
    }

    @Override
    protected Tensor compute(Tensor input) {
        return ConvOps.convTranspose2d(input, weight, bias, params, outputPadding, outputPadding);
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null when the layer has none. */
    public Tensor bias() {
        return bias;
    }

    public Conv2dParams params() {
        return params;
    }

    public int outputPadding() {
        return outputPadding;
    }

    @Override
    public String toString() {
        int[] s = weight.shape();
        return "ConvTranspose2d(" + s[0] + ", " + s[1] + ", kernel " + s[2] + "x" + s[3] + ", " + params
                + ", output padding " + outputPadding + (bias == null ? ", no bias" : "") + ")";
    }
}
