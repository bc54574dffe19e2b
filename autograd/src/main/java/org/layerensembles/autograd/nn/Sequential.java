package org.layerensembles.autograd.nn;

import org.layerensembles.autograd.Tensor;

/** Runs its children in order, each on the previous one's output. Children are named "0", "1", ... unless named. */
public final class Sequential extends Module {
    private int count;

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a child named by its position. */
    public Sequential add(Module m) {
        return add(Integer.toString(count), m);
    }

    /** Appends a named child. */
    public Sequential add(String name, Module m) {
        register(name, m);
        count++;
        return this;
    }

    @Override
    protected Tensor compute(Tensor input) {
        Tensor x = input;
        for (Module m : children().values()) {
            x = m.forward(x);
        }
        return x;
    }
}
