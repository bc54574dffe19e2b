package org.layerensembles.autograd.ops;

import static org.layerensembles.core.backend.BinaryOp.ADD;
import static org.layerensembles.core.backend.BinaryOp.DIV;
import static org.layerensembles.core.backend.BinaryOp.MUL;
import static org.layerensembles.core.backend.BinaryOp.SUB;

import java.util.Arrays;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BatchNormGrads;
import org.layerensembles.core.backend.BatchNormResult;
import org.layerensembles.core.backend.ReduceOp;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Differentiable batch normalisation over every dimension but the channel (dimension 1) of
 * [N, C, ...]: [N, C, H, W] as BatchNorm2d, [N, C] as BatchNorm1d. gamma and beta are [C], or
 * null for none (ones and zeros). Per channel, with statistics over the M = N*H*W elements:
 * <pre>
 *   xhat = (x - mean) / sqrt(var + eps),   y = gamma * xhat + beta
 * </pre>
 * The {@code batchNormRelu*} ops are the same followed by a ReLU, fused into one op: the
 * backend writes max(y, 0) in the pass that writes y and applies the ReLU's mask inside the
 * batch-norm backward, and no pre-ReLU array is kept for the backward pass.
 */
public final class NormOps {
    private NormOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /**
     * Training-mode batch norm: the output (differentiable w.r.t. x, gamma and beta) and the batch
     * statistics it normalised with, [C] each: the mean and the biased variance (divisor M). A
     * BatchNorm layer updates its running statistics from them (PyTorch's running variance uses
     * the unbiased var * M / (M - 1)); they are plain arrays, outside the graph.
     */
    public record BatchNormOutput(Tensor output, NDArray mean, NDArray variance) {
    }

    /**
     * Training-mode batch norm, normalising with the batch's own statistics. The gradient flows
     * through the statistics too (they depend on x); with g = dL/dy:
     * <pre>
     *   dL/dbeta  = sum g
     *   dL/dgamma = sum g * xhat
     *   dL/dx     = gamma / sqrt(var + eps) * (g - dL/dbeta / M - xhat * dL/dgamma / M)
     * </pre>
     * (sums over N and the spatial dimensions, per channel), from the backend's batchNormBackward.
     */
    public static BatchNormOutput batchNormTrain(Tensor x, Tensor gamma, Tensor beta, double eps) {
        NDArray gammaData = gamma == null ? null : gamma.data();
        BatchNormResult r = cpu().batchNormTrain(x.data(), gammaData, beta == null ? null : beta.data(), eps);
        Tensor y = Tensor.fromOp("batchNormTrain", r.output(), (g, needs) -> {
            return needed(cpu().batchNormBackward(g, x.data(), gammaData, r.mean(), r.invStd()), needs);
        }, x, gamma, beta);
        return new BatchNormOutput(y, r.mean(), r.variance());
    }

    /** The gradients of x, gamma and beta that the graph walk asked for (null for the others). */
    private static NDArray[] needed(BatchNormGrads grads, boolean[] needs) {
        return new NDArray[] {
            needs[0] ? grads.gradInput() : null,
            needs[1] ? grads.gradGamma() : null,
            needs[2] ? grads.gradBeta() : null};
    }

    /**
     * Training-mode batch norm then ReLU, max(batchNorm(x), 0), as one op (the backend may do it
     * in fewer passes over memory). The statistics are those of {@link #batchNormTrain}; with
     * g' = dL/dy where y > 0, else 0, the gradients are batchNormTrain's for g', from the
     * backend's batchNormReluBackward.
     */
    public static BatchNormOutput batchNormReluTrain(Tensor x, Tensor gamma, Tensor beta, double eps) {
        NDArray gammaData = gamma == null ? null : gamma.data();
        NDArray betaData = beta == null ? null : beta.data();
        BatchNormResult r = cpu().batchNormReluTrain(x.data(), gammaData, betaData, eps);
        Tensor y = Tensor.fromOp("batchNormReluTrain", r.output(), (g, needs) -> {
            return needed(cpu().batchNormReluBackward(g, x.data(), r.output(), gammaData, betaData, r.mean(),
                    r.invStd()), needs);
        }, x, gamma, beta);
        return new BatchNormOutput(y, r.mean(), r.variance());
    }

    /**
     * Eval-mode batch norm with fixed (running) statistics [C], which are constants here: y is an
     * affine map of x per channel. With g = dL/dy and xhat = (x - runningMean) / sqrt(runningVar + eps):
     * <pre>
     *   dL/dx     = g * gamma / sqrt(runningVar + eps)
     *   dL/dgamma = sum g * xhat
     *   dL/dbeta  = sum g
     * </pre>
     */
    public static Tensor batchNormEval(Tensor x, NDArray runningMean, NDArray runningVar, Tensor gamma, Tensor beta,
                                       double eps) {
        NDArray y = cpu().batchNormEval(x.data(), runningMean, runningVar, gamma == null ? null : gamma.data(),
                beta == null ? null : beta.data(), eps);
        return Tensor.fromOp("batchNormEval", y, (g, needs) -> evalGradients(g, x, runningMean, runningVar, gamma,
                eps, needs), x, gamma, beta);
    }

    /**
     * Eval-mode batch norm then ReLU, max(batchNormEval(...), 0), in one pass; the gradients are
     * batchNormEval's for dL/dy masked by y > 0.
     */
    public static Tensor batchNormReluEval(Tensor x, NDArray runningMean, NDArray runningVar, Tensor gamma,
                                           Tensor beta, double eps) {
        NDArray y = cpu().batchNormReluEval(x.data(), runningMean, runningVar, gamma == null ? null : gamma.data(),
                beta == null ? null : beta.data(), eps);
        return Tensor.fromOp("batchNormReluEval", y, (g, needs) -> evalGradients(
                cpu().unaryBackward(UnaryOp.RELU, y, y, g), x, runningMean, runningVar, gamma, eps, needs),
                x, gamma, beta);
    }

    /** dL/dx, dL/dgamma, dL/dbeta of eval-mode batch norm given g = dL/dy (null where not needed). */
    private static NDArray[] evalGradients(NDArray g, Tensor x, NDArray runningMean, NDArray runningVar,
                                           Tensor gamma, double eps, boolean[] needs) {
        int[] perChannel = perChannelShape(x.rank(), x.size(1));
        int[] notChannel = notChannelAxes(x.rank());
        NDArray invStd = cpu().binary(DIV, NDArrays.scalar(1f),
                cpu().unary(UnaryOp.SQRT, cpu().binary(ADD, runningVar, NDArrays.scalar((float) eps))))
                .reshape(perChannel);
        NDArray gx = null;
        NDArray gGamma = null;
        if (needs[0]) {
            NDArray scale = gamma == null ? invStd : cpu().binary(MUL, invStd, gamma.data().reshape(perChannel));
            gx = cpu().binary(MUL, g, scale);
        }
        if (needs[1]) {
            NDArray xhat = cpu().binary(MUL, cpu().binary(SUB, x.data(), runningMean.reshape(perChannel)), invStd);
            gGamma = cpu().reduce(ReduceOp.SUM, cpu().binary(MUL, g, xhat), notChannel, false);
        }
        return new NDArray[] {gx, gGamma, needs[2] ? cpu().reduce(ReduceOp.SUM, g, notChannel, false) : null};
    }

    /** [1, C, 1, ...] of the given rank: a [C] vector that broadcasts along dimension 1. */
    private static int[] perChannelShape(int rank, int channels) {
        int[] s = new int[rank];
        Arrays.fill(s, 1);
        s[1] = channels;
        return s;
    }

    /** Every axis but 1. */
    private static int[] notChannelAxes(int rank) {
        int[] axes = new int[rank - 1];
        axes[0] = 0;
        for (int d = 2; d < rank; d++) {
            axes[d - 1] = d;
        }
        return axes;
    }
}
