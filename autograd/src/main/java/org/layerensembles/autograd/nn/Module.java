package org.layerensembles.autograd.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;

/**
 * A node of the module tree, as in PyTorch: named children, parameters (tensors that train),
 * buffers (state that does not, such as BatchNorm's running statistics), a training flag, and
 * forward hooks.
 *
 * <p>Subclasses register their parts in the constructor ({@link #register}, {@link #parameter},
 * {@link #buffer}) and implement {@link #compute}; callers run {@link #forward}, which also fires
 * the hooks. Names follow PyTorch's {@code state_dict}: a child's parameter {@code weight} under
 * child {@code conv1} of child {@code block2} is {@code block2.conv1.weight}.
 */
public abstract class Module {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final Map<String, long[]> counters = new LinkedHashMap<>();
    private final List<ForwardHook> hooks = new CopyOnWriteArrayList<>();
    private boolean training = true;

    /** The module's own computation, without hooks. */
    protected abstract Tensor compute(Tensor input);

    /**
     * Runs the module and then its forward hooks, in registration order. A module used twice in
     * one forward pass fires its hooks twice, once per call.
     */
    public final Tensor forward(Tensor input) {
        Tensor output = compute(input);
        for (ForwardHook hook : hooks) {
            hook.onForward(this, input, output);
        }
        return output;
    }

    // ---- building the tree

    /** Registers a child module under a name (no dots) and returns it. */
    protected final <M extends Module> M register(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    /** Registers a trainable parameter and returns it. */
    protected final Tensor parameter(String name, Tensor value) {
        checkName(name);
        if (!value.requiresGrad() || !value.isLeaf()) {
            throw new IllegalArgumentException("parameter '" + name + "' must be a leaf tensor that requires a gradient");
        }
        parameters.put(name, value);
        return value;
    }

    /** Registers a buffer (state saved with the model but not trained) and returns it. */
    protected final NDArray buffer(String name, NDArray value) {
        checkName(name);
        buffers.put(name, value);
        return value;
    }

    /** Replaces a registered buffer's array (for layers that swap rather than update in place). */
    protected final void replaceBuffer(String name, NDArray value) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException("no buffer named '" + name + "'");
        }
        buffers.put(name, value);
    }

    /**
     * Registers an int64 counter saved with the model (PyTorch's {@code num_batches_tracked});
     * the returned one-element array is the counter's storage.
     */
    protected final long[] counter(String name) {
        checkName(name);
        long[] holder = new long[1];
        counters.put(name, holder);
        return holder;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module part names must be non-empty and contain no dots, got '" + name + "'");
        }
        if (children.containsKey(name) || parameters.containsKey(name) || buffers.containsKey(name)
                || counters.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already used in " + getClass().getSimpleName());
        }
    }

    // ---- walking the tree

    /** Direct children by name. */
    public final Map<String, Module> children() {
        return new LinkedHashMap<>(children);
    }

    /** This module ("") and every descendant, by dotted path, parents before children. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, out);
        return out;
    }

    private static void collectModules(String prefix, Module m, Map<String, Module> out) {
        out.put(prefix, m);
        m.children.forEach((name, child) -> collectModules(prefix.isEmpty() ? name : prefix + "." + name, child, out));
    }

    /** Every parameter by dotted path (own parameters first, then children's, in registration order). */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> m.parameters.forEach((name, p) -> out.put(join(path, name), p)));
        return out;
    }

    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer by dotted path. */
    public final Map<String, NDArray> namedBuffers() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> m.buffers.forEach((name, b) -> out.put(join(path, name), b)));
        return out;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The descendant at a dotted path ("" is this module). */
    public final Module get(String path) {
        Module m = namedModules().get(path);
        if (m == null) {
            throw new IllegalArgumentException("no module at '" + path + "'; modules: " + namedModules().keySet());
        }
        return m;
    }

    // ---- modes

    /** Sets training mode on this module and all descendants; returns this. */
    public final Module train(boolean on) {
        namedModules().values().forEach(m -> m.training = on);
        return this;
    }

    public final Module train() {
        return train(true);
    }

    /** Evaluation mode (BatchNorm uses running statistics, Dropout passes through). */
    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Zeroes the gradient of every parameter. */
    public final void zeroGrad() {
        parameters().forEach(Tensor::zeroGrad);
    }

    // ---- hooks

    /** Adds a hook fired after each forward of this module. */
    public final HookHandle registerForwardHook(ForwardHook hook) {
        hooks.add(hook);
        return new HookHandle(this, hook);
    }

    /** Adds a hook on the descendant at a dotted path. */
    public final HookHandle registerForwardHook(String path, ForwardHook hook) {
        return get(path).registerForwardHook(hook);
    }

    void removeHook(ForwardHook hook) {
        hooks.remove(hook);
    }

    // ---- state

    /** Parameters, buffers and counters by dotted name, as PyTorch's {@code state_dict()}. */
    public final StateDict stateDict() {
        StateDict out = new StateDict();
        namedModules().forEach((path, m) -> {
            m.parameters.forEach((name, p) -> out.put(join(path, name), p.data()));
            m.buffers.forEach((name, b) -> out.put(join(path, name), b));
            m.counters.forEach((name, c) -> out.putLong(join(path, name), c[0]));
        });
        return out;
    }

    /**
     * Copies values from a state dict into this model's parameters, buffers and counters. Every
     * name, shape and dtype is checked first; all mismatches are reported in one exception and
     * nothing is changed when there are any.
     */
    public final void loadStateDict(StateDict state) {
        StateDict mine = stateDict();
        List<String> problems = new ArrayList<>();
        for (String name : mine.names()) {
            if (!state.names().contains(name)) {
                problems.add("missing '" + name + "'");
            }
        }
        for (String name : state.names()) {
            if (!mine.names().contains(name)) {
                problems.add("unexpected '" + name + "'");
            }
        }
        mine.arrays().forEach((name, target) -> {
            NDArray source = state.array(name);
            if (source == null) {
                if (state.longValue(name) != null) {
                    problems.add("'" + name + "' is an int64 scalar in the file but an array in the model");
                }
                return;
            }
            if (!Arrays.equals(source.shape(), target.shape()) || source.dtype() != target.dtype()) {
                problems.add("'" + name + "': " + source.dtype() + " " + Arrays.toString(source.shape())
                        + " cannot load into " + target.dtype() + " " + Arrays.toString(target.shape()));
            }
        });
        mine.longs().keySet().forEach(name -> {
            if (state.array(name) != null) {
                problems.add("'" + name + "' is an array in the file but an int64 scalar in the model");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + getClass().getSimpleName() + ": "
                    + String.join("; ", problems));
        }
        namedModules().forEach((path, m) -> {
            m.parameters.forEach((name, p) -> org.layerensembles.autograd.Autograd.backend()
                    .copy(state.array(join(path, name)), p.data()));
            m.buffers.forEach((name, b) -> org.layerensembles.autograd.Autograd.backend()
                    .copy(state.array(join(path, name)), b));
            m.counters.forEach((name, c) -> c[0] = state.longValue(join(path, name)));
        });
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + namedParameters().keySet();
    }
}
