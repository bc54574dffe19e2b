package org.layerensembles.autograd.nn;

/**
 * Removes the forward hook registration it was returned for (and only that one, even when the
 * same hook object is registered again); removing twice does nothing. Usable in
 * try-with-resources to tap a model for one pass.
 */
public final class HookHandle implements AutoCloseable {
    private final Module module;
    private final Module.Registration registration;

    HookHandle(Module module, Module.Registration registration) {
        this.module = module;
        this.registration = registration;
    }

    public void remove() {
        module.removeHook(registration);
    }

    @Override
    public void close() {
        remove();
    }
}
