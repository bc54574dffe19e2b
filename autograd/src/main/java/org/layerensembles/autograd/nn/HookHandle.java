package org.layerensembles.autograd.nn;

/** Removes the forward hook it was returned for; removing twice does nothing. */
public final class HookHandle implements AutoCloseable {
    private final Module module;
    private final ForwardHook hook;

    HookHandle(Module module, ForwardHook hook) {
        this.module = module;
        this.hook = hook;
    }

    public void remove() {
        module.removeHook(hook);
    }

    @Override
    public void close() {
        remove();
    }
}
