package org.layerensembles.autograd.nn;

import org.layerensembles.autograd.Tensor;

/**
 * Called after a module's forward pass with the module, its input and its output. Layer
 * Ensembles uses hooks to tap the outputs of intermediate layers of a model it did not build.
 */
@FunctionalInterface
public interface ForwardHook {
    void onForward(Module module, Tensor input, Tensor output);
}
