package org.layerensembles.autograd.loss;

import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * Options of {@link Losses#bceWithLogits} (PyTorch's {@code pos_weight} and {@code reduction}).
 *
 * @param posWeight weight of the positive term, float32, broadcast against the logits with NumPy
 *                  rules (trailing dimensions align), or null for 1. As in PyTorch a vector [C]
 *                  lines up with the LAST dimension, which suits [N, C] logits; for images
 *                  [N, C, H, W] give it as [C, 1, 1]. A constant: it gets no gradient.
 * @param reduction mean over all elements (PyTorch's default), sum, or none
 */
public record BceOptions(NDArray posWeight, Reduction reduction) {
    /** No positive weight, mean. */
    public static final BceOptions DEFAULT = new BceOptions(null, Reduction.MEAN);

    public BceOptions {
        Objects.requireNonNull(reduction, "reduction");
        if (posWeight != null && posWeight.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("posWeight must be float32, got " + posWeight.dtype() + " "
                    + Shapes.str(posWeight.shape()));
        }
    }

    public BceOptions withPosWeight(NDArray weight) {
        return new BceOptions(weight, reduction);
    }

    public BceOptions withReduction(Reduction r) {
        return new BceOptions(posWeight, r);
    }
}
