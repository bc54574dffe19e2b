package org.layerensembles.autograd.nn.layers;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.init.Init;
import org.layerensembles.autograd.ops.ConvOps;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.backend.Conv2dParams;

/**
 * PyTorch's {@code nn.Conv2d} (groups = 1, zero padding): [N, inChannels, H, W] to
 * [N, outChannels, OH, OW], OH = (H + 2*padding - dilation*(kernel - 1) - 1) / stride + 1.
 *
 * <p>Parameters {@code weight} [outChannels, inChannels, KH, KW] and {@code bias} [outChannels]
 * (when enabled), with PyTorch's default initialisation: {@code kaiming_uniform_(weight,
 * a = sqrt(5))}, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = inChannels*KH*KW,
 * then bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). The weight takes the generator's draws first,
 * then the bias. Parameters live in the memory scope current at construction.
 */
public final class Conv2d extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final Conv2dParams params;

    /**
     * A square convolution.
     *
     * @param inChannels  channels of the input, C
     * @param outChannels channels of the output (number of filters), F
     * @param kernel      kernel height and width
     * @param stride      step between windows, >= 1
     * @param padding     zeros added on each side, >= 0
     * @param dilation    spacing between kernel taps, >= 1
     * @param bias        whether to add a learned bias per output channel
     * @param rng         where the initial weights are drawn from
     */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, boolean bias,
                  SeededRandom rng) {
        this(inChannels, outChannels, kernel, kernel, new Conv2dParams(stride, stride, padding, padding, dilation,
                dilation), bias, rng);
    }

    /** A square convolution with a bias and no dilation. */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, SeededRandom rng) {
        this(inChannels, outChannels, kernel, stride, padding, 1, true, rng);
    }

    /**
     * The general form: a KH x KW kernel with per-direction stride, padding and dilation.
     *
     * @param params stride, padding and dilation of both directions
     */
    public Conv2d(int inChannels, int outChannels, int kernelH, int kernelW, Conv2dParams params, boolean bias,
                  SeededRandom rng) {
        if (inChannels < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("Conv2d: channels and kernel must be >= 1, got in " + inChannels
                    + ", out " + outChannels + ", kernel " + kernelH + "x" + kernelW);
        }
        this.params = params;
        NDArray w = defaultWeight(rng, outChannels, inChannels, kernelH, kernelW);
        this.weight = parameter("weight", Tensor.parameter(w));
        this.bias = bias ? parameter("bias", Tensor.parameter(defaultBias(outChannels, w.shape(), rng))) : null;
    }

    /**
     * PyTorch's default weight of a convolution (plain or transposed) of the given weight shape:
     * kaiming_uniform with a = sqrt(5), fan_in mode, leaky_relu gain.
     */
    static NDArray defaultWeight(SeededRandom rng, int... weightShape) {
        NDArray w = NDArrays.empty(DType.FLOAT32, weightShape);
        Init.kaimingUniform(w, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU, rng);
        return w;
    }

    /**
     * PyTorch's default bias of a convolution: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in
     * from the weight's shape (all zeros when fan_in is 0).
     */
    static NDArray defaultBias(int channels, int[] weightShape, SeededRandom rng) {
        NDArray b = NDArrays.empty(DType.FLOAT32, channels);
        int fanIn = Init.fans(weightShape).fanIn();
        double bound = fanIn == 0 ? 0 : 1 / Math.sqrt(fanIn);
        return Init.uniform(b, -bound, bound, rng);
    }

    @Override
    protected Tensor compute(Tensor input) {
        return ConvOps.conv2d(input, weight, bias, params);
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

    @Override
    public String toString() {
        int[] s = weight.shape();
        return "Conv2d(" + s[1] + ", " + s[0] + ", kernel " + s[2] + "x" + s[3] + ", " + params
                + (bias == null ? ", no bias" : "") + ")";
    }
}
