package org.layerensembles.autograd.loss;

import java.util.Objects;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * Options of {@link Losses#crossEntropy} and {@link Losses#nll} (PyTorch's {@code weight},
 * {@code ignore_index} and {@code reduction}).
 *
 * @param weights     per-class weights, float32 [C], or null for all 1. A constant: it gets no
 *                    gradient (as in PyTorch). E.g. the original MnM run used 0.1/0.3/0.3/0.3 for
 *                    BG/LV/MYO/RV.
 * @param ignoreIndex targets equal to this label contribute nothing: neither to the sum nor to
 *                    the mean's divisor, and they get no gradient. PyTorch's default is -100. It
 *                    may also be a real class (e.g. 0 to leave the background out).
 * @param reduction   mean (weighted: sum_i w[y_i] l_i / sum_i w[y_i]), sum, or none
 */
public record CrossEntropyOptions(NDArray weights, int ignoreIndex, Reduction reduction) {
    /** PyTorch's default ignore index. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    /** PyTorch's defaults: no weights, ignore index -100, mean. */
    public static final CrossEntropyOptions DEFAULT = new CrossEntropyOptions(null, DEFAULT_IGNORE_INDEX,
            Reduction.MEAN);

    public CrossEntropyOptions {
        Objects.requireNonNull(reduction, "reduction");
        if (weights != null && (weights.dtype() != DType.FLOAT32 || weights.rank() != 1)) {
            throw new IllegalArgumentException("class weights must be a float32 vector [C], got " + weights.dtype()
                    + " " + Shapes.str(weights.shape()));
        }
    }

    public CrossEntropyOptions withWeights(NDArray classWeights) {
        return new CrossEntropyOptions(classWeights, ignoreIndex, reduction);
    }

    public CrossEntropyOptions withIgnoreIndex(int label) {
        return new CrossEntropyOptions(weights, label, reduction);
    }

    public CrossEntropyOptions withReduction(Reduction r) {
        return new CrossEntropyOptions(weights, ignoreIndex, r);
    }
}
