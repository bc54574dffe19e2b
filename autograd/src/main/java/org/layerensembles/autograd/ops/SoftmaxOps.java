package org.layerensembles.autograd.ops;

import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;

/**
 * Differentiable softmax and log-softmax along one axis (negative counts from the end). Both
 * backward rules need only the forward's output y, which the rule keeps.
 */
public final class SoftmaxOps {
    private SoftmaxOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    /** y_k = exp(x_k) / sum_j exp(x_j) along the axis; dx_k = y_k * (g_k - sum_j g_j y_j). */
    public static Tensor softmax(Tensor x, int axis) {
        NDArray y = cpu().softmax(x.data(), axis);
        return Tensor.fromOp("softmax", y, (g, needs) -> new NDArray[] {cpu().softmaxBackward(y, g, axis)}, x);
    }

    /** y_k = x_k - log(sum_j exp(x_j)) along the axis; dx_k = g_k - exp(y_k) * sum_j g_j. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        NDArray y = cpu().logSoftmax(x.data(), axis);
        return Tensor.fromOp("logSoftmax", y, (g, needs) -> new NDArray[] {cpu().logSoftmaxBackward(y, g, axis)}, x);
    }
}
