package org.layerensembles.core.backend;

/**
 * One Adam/AdamW step's scalars for {@link Backend#adamUpdate}, PyTorch's rule:
 * <pre>
 *   p = p * decay                             (AdamW: decay = 1 - lr * wd; Adam: 1)
 *   d = g + l2 * p                            (Adam's L2 weight decay; 0 for AdamW)
 *   m = beta1 * m + (1 - beta1) * d
 *   v = beta2 * v + (1 - beta2) * d * d
 *   p = p - stepSize * m / (sqrt(v) / sqrt(1 - beta2^t) + eps),   stepSize = lr / (1 - beta1^t)
 * </pre>
 *
 * @param decay    multiplier of p before the step (AdamW's decoupled decay), 1 for none
 * @param l2       coupled L2 weight decay added to the gradient, 0 for none
 * @param bc2Sqrt  sqrt(1 - beta2^t)
 * @param stepSize lr / (1 - beta1^t)
 * <p>Scalars are given in double (as PyTorch's Python floats); kernels round each derived
 * constant such as 1 - beta2 to float32 once.
 */
public record AdamUpdate(double decay, double l2, double beta1, double beta2, double bc2Sqrt, double eps,
                         double stepSize) {
}
