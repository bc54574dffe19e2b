package org.layerensembles.models;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.layers.BatchNorm2d;
import org.layerensembles.autograd.nn.layers.Conv2d;
import org.layerensembles.autograd.nn.layers.ReLU;
import org.layerensembles.core.SeededRandom;

/**
 * The classic U-Net block: (3x3 convolution, padding 1, no bias -> BatchNorm2d -> ReLU), twice;
 * each BatchNorm2d and its ReLU run as one fused op unless a forward hook watches one of them.
 * [N, in, H, W] to [N, out, H, W]. Children, in order: {@code conv1, bn1, relu1, conv2, bn2,
 * relu2}. The convolutions have no bias because the batch norm right after them subtracts the
 * mean anyway (its own {@code bias} is the shift).
 *
 * <p>Parameters: 9*in*out + 9*out*out convolution weights and 4*out batch-norm weights and
 * biases. The convolutions use PyTorch's default initialisation (see {@link Conv2d}), drawn from
 * the streams {@code SeedStreams.fork(rng, "conv1")} and {@code SeedStreams.fork(rng, "conv2")};
 * batch norm starts at weight 1, bias 0.
 */
public final class DoubleConv extends Module {
    private final int inChannels;
    private final int outChannels;
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final ReLU relu1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final ReLU relu2;

    /**
     * @param inChannels  channels of the input, >= 1
     * @param outChannels channels of both convolutions' outputs, >= 1
     * @param rng         this block's stream; each convolution forks its own from it by name
     */
    public DoubleConv(int inChannels, int outChannels, SeededRandom rng) {
        if (inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException("DoubleConv: channels must be >= 1, got in " + inChannels + ", out "
                    + outChannels);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.conv1 = register("conv1", conv3x3(inChannels, outChannels, SeedStreams.fork(rng, "conv1")));
        this.bn1 = register("bn1", new BatchNorm2d(outChannels));
        this.relu1 = register("relu1", new ReLU());
        this.conv2 = register("conv2", conv3x3(outChannels, outChannels, SeedStreams.fork(rng, "conv2")));
        this.bn2 = register("bn2", new BatchNorm2d(outChannels));
        this.relu2 = register("relu2", new ReLU());
    }

    private static Conv2d conv3x3(int in, int out, SeededRandom rng) {
        return new Conv2d(in, out, 3, 1, 1, 1, false, rng);
    }

    @Override
    protected Tensor compute(Tensor input) {
        Tensor x = normaliseRelu(bn1, relu1, conv1.forward(input));
        return normaliseRelu(bn2, relu2, conv2.forward(x));
    }

    /**
     * relu(bn(x)): one fused op ({@link BatchNorm2d#forwardRelu}) unless a forward hook watches
     * either module, which then run one after the other so that their hooks fire.
     */
    private static Tensor normaliseRelu(BatchNorm2d bn, ReLU relu, Tensor x) {
        if (bn.hasForwardHooks() || relu.hasForwardHooks()) {
            return relu.forward(bn.forward(x));
        }
        return bn.forwardRelu(x);
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    /** Learned values: 9*in*out + 9*out*out + 4*out. */
    public static long parameterCount(int inChannels, int outChannels) {
        return 9L * inChannels * outChannels + 9L * outChannels * outChannels + 4L * outChannels;
    }

    @Override
    public String toString() {
        return "DoubleConv(" + inChannels + " -> " + outChannels + ")";
    }
}
