package org.layerensembles.ensemble;

import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;

/**
 * A named container in the module tree of a multi-output model (a Layer Ensemble's root with its
 * {@code backbone} and {@code heads}, the list of heads, a deep ensemble's members). It exists so
 * that {@link Module#namedParameters()}, {@link Module#stateDict()}, {@code train()} and
 * {@code eval()} reach every part under stable dotted names; it has no forward computation of its
 * own, because such a model has several outputs: run it through
 * {@link SegmentationModel#heads(Tensor)}.
 */
public final class EnsembleModule extends Module {
    private final String description;

    EnsembleModule(String description) {
        this.description = description;
    }

    /** Registers a child (a name without dots) and returns this container. */
    EnsembleModule add(String name, Module child) {
        register(name, child);
        return this;
    }

    /** Always throws: a container of heads or members has no single output. */
    @Override
    protected Tensor compute(Tensor input) {
        throw new UnsupportedOperationException(description
                + " has several outputs and no forward of its own: call SegmentationModel.heads(images)");
    }

    @Override
    public String toString() {
        return description + children().keySet();
    }
}
