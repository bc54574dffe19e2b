package org.layerensembles.ensemble;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;

/**
 * Anything that segments with one or more heads: Layer Ensembles, Plain, multi-head, deep
 * ensemble. Training, combination and evaluation see only this.
 */
public interface SegmentationModel {
    /** Runs the model on images [N, channels, H, W]; the heads' logits are [N, classes, H, W]. */
    HeadOutputs heads(Tensor images);

    /** The trainable module tree (parameters, buffers, train/eval, state dict). */
    Module module();

    /** "LE", "Plain", "MH" or "DE": how reports name the method. */
    String method();

    int classes();
}
