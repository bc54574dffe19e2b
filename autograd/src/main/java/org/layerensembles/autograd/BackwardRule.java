package org.layerensembles.autograd;

import org.layerensembles.core.NDArray;

/**
 * How an op sends its output's gradient back to its inputs: the backward half of an op, written
 * beside its forward half in the op's family class.
 */
@FunctionalInterface
public interface BackwardRule {
    /**
     * @param gradOutput dL/d(output), the output's shape
     * @param needsGrad  per input, whether its gradient is wanted; a rule may skip (return null
     *                   for) the others, e.g. a convolution's input image
     * @return dL/d(input i) per input, each of input i's shape (or null where not needed)
     */
    NDArray[] apply(NDArray gradOutput, boolean[] needsGrad);
}
