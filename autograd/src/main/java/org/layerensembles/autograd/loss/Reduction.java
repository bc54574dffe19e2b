package org.layerensembles.autograd.loss;

/** How a loss combines its per-element values (PyTorch's {@code reduction} argument). */
public enum Reduction {
    /** The per-element losses, in the targets' shape (ignored elements hold 0). */
    NONE,
    /**
     * One scalar: the (weighted) mean. For the class losses the divisor is the total weight of
     * the elements that are not ignored (their count when there are no class weights).
     */
    MEAN,
    /** One scalar: the sum of the per-element losses. */
    SUM
}
