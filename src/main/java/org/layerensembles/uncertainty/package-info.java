/**
 * Uncertainty and per-image evaluation of Layer Ensembles outputs (METHOD.md §5, NLL/DSC/ECE bins
 * of §6), on plain arrays without autograd: {@link org.layerensembles.uncertainty.FusedUncertainty}
 * (the one-pass parallel kernel to use) and {@link org.layerensembles.uncertainty.Uncertainty}
 * (the readable multi-pass reference it is tested against). Both take the kept heads' softmax
 * probabilities and return an {@link org.layerensembles.uncertainty.UncertaintyResult}.
 */
package org.layerensembles.uncertainty;
