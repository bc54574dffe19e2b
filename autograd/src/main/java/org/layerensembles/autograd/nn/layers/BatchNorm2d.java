package org.layerensembles.autograd.nn.layers;

import static org.layerensembles.core.backend.BinaryOp.ADD;
import static org.layerensembles.core.backend.BinaryOp.MUL;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.ops.NormOps;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.backend.Backend;

/**
 * PyTorch's {@code nn.BatchNorm2d} on [N, C, H, W] (with running statistics tracked). Per
 * channel, y = (x - mean) / sqrt(var + eps) * weight + bias, where
 * <ul>
 *   <li>in training mode mean and var are the batch's (over the n = N*H*W elements of the
 *       channel, var biased), and the running statistics move towards them:
 *       <pre>
 *   running_mean = (1 - momentum) * running_mean + momentum * mean
 *   running_var  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)   (unbiased)
 *   num_batches_tracked += 1
 *       </pre></li>
 *   <li>in eval mode mean and var are {@code running_mean} and {@code running_var}.</li>
 * </ul>
 *
 * <p>State, named as PyTorch's: parameters {@code weight} (ones) and {@code bias} (zeros) [C]
 * when affine; buffers {@code running_mean} (zeros) and {@code running_var} (ones) [C]; counter
 * {@code num_batches_tracked}. All live in the memory scope current at construction; the running
 * statistics are updated in their own memory, so a loaded state dict or a held reference sees
 * the new values.
 */
public final class BatchNorm2d extends Module {
    private final int channels;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final long[] batchesTracked;

    /** eps 1e-5, momentum 0.1, affine: PyTorch's defaults. */
    public BatchNorm2d(int channels) {
        this(channels, 1e-5, 0.1, true);
    }

    /**
     * @param channels number of channels C (dimension 1 of the input)
     * @param eps      added to the variance before the square root, > 0
     * @param momentum weight of the new batch in the running statistics' update, in [0, 1]
     * @param affine   whether to learn a per-channel scale {@code weight} and shift {@code bias}
     */
    public BatchNorm2d(int channels, double eps, double momentum, boolean affine) {
        if (channels < 1) {
            throw new IllegalArgumentException("BatchNorm2d: channels must be >= 1, got " + channels);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("BatchNorm2d: eps must be > 0, got " + eps);
        }
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm2d: momentum must be in [0, 1], got " + momentum);
        }
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? parameter("weight", Tensor.parameter(NDArrays.ones(channels))) : null;
        this.bias = affine ? parameter("bias", Tensor.parameter(NDArrays.zeros(channels))) : null;
        buffer("running_mean", NDArrays.zeros(channels));
        buffer("running_var", NDArrays.ones(channels));
        this.batchesTracked = counter("num_batches_tracked");
    }

    @Override
    protected Tensor compute(Tensor input) {
        return normalise(input, false);
    }

    /**
     * This layer then a ReLU, max(this(input), 0), as one fused op (fewer passes over memory and
     * no pre-ReLU array kept); running statistics are updated as by {@link #forward}. This
     * layer's forward hooks do not fire (the caller decides when fusing is allowed, e.g. only
     * when no hooks are registered).
     */
    public Tensor forwardRelu(Tensor input) {
        return normalise(input, true);
    }

    private Tensor normalise(Tensor input, boolean relu) {
        if (input.rank() != 4 || input.size(1) != channels) {
            throw new IllegalArgumentException("BatchNorm2d(" + channels + "): input must be [N, " + channels
                    + ", H, W], got " + Shapes.str(input.shape()));
        }
        if (!isTraining()) {
            return relu ? NormOps.batchNormReluEval(input, runningMean(), runningVar(), weight, bias, eps)
                    : NormOps.batchNormEval(input, runningMean(), runningVar(), weight, bias, eps);
        }
        long n = input.numel() / channels;
        if (n < 2) {
            throw new IllegalArgumentException("BatchNorm2d: training needs more than 1 value per channel, got input "
                    + Shapes.str(input.shape()));
        }
        NormOps.BatchNormOutput out = relu ? NormOps.batchNormReluTrain(input, weight, bias, eps)
                : NormOps.batchNormTrain(input, weight, bias, eps);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            NDArray unbiasedVar = backend().binary(MUL, out.variance(), NDArrays.scalar((float) ((double) n / (n - 1))));
            moveTowards(runningMean(), out.mean());
            moveTowards(runningVar(), unbiasedVar);
            batchesTracked[0]++;
        }
        return out.output();
    }

    /** running = momentum * batch + (1 - momentum) * running, written into running's own memory. */
    private void moveTowards(NDArray running, NDArray batch) {
        NDArray updated = backend().binary(ADD,
                backend().binary(MUL, batch, NDArrays.scalar((float) momentum)),
                backend().binary(MUL, running, NDArrays.scalar((float) (1 - momentum))));
        backend().copy(updated, running);
    }

    private static Backend backend() {
        return Autograd.backend();
    }

    public int channels() {
        return channels;
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }

    /** The scale gamma, or null when not affine. */
    public Tensor weight() {
        return weight;
    }

    /** The shift beta, or null when not affine. */
    public Tensor bias() {
        return bias;
    }

    public NDArray runningMean() {
        return registeredBuffer("running_mean");
    }

    public NDArray runningVar() {
        return registeredBuffer("running_var");
    }

    /** Training forward passes so far (PyTorch's {@code num_batches_tracked}). */
    public long numBatchesTracked() {
        return batchesTracked[0];
    }

    @Override
    public String toString() {
        return "BatchNorm2d(" + channels + ", eps " + eps + ", momentum " + momentum
                + (weight == null ? ", no affine" : "") + ")";
    }
}
