package org.layerensembles.core.backend;

/**
 * One SGD step's scalars for {@link Backend#sgdUpdate}, PyTorch's rule: with
 * {@code d = g + weightDecay * p},
 * <pre>
 *   momentum == 0:  p = p - lr * d
 *   first step:     b = d
 *   later steps:    b = momentum * b + (1 - dampening) * d
 *   then            p = p - lr * (nesterov ? d + momentum * b : b)
 * </pre>
 */
public record SgdUpdate(double lr, double weightDecay, double momentum, double dampening, boolean nesterov,
                        boolean firstStep) {
}
