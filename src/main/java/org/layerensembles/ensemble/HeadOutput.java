package org.layerensembles.ensemble;

import org.layerensembles.autograd.Tensor;

/**
 * One output head of an ensemble-style model: the layer it is attached to (or the member's name)
 * and its logits [N, classes, H, W] at the input's resolution.
 */
public record HeadOutput(String layerName, Tensor logits) {
}
