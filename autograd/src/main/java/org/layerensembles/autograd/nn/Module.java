package org.layerensembles.autograd.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.memory.MemoryScope;

/**
 * A node of the module tree, as in PyTorch: named children, parameters (tensors that train),
 * buffers (state that does not, such as BatchNorm's running statistics), a training flag, and
 * forward hooks.
 *
 * <p>Subclasses register their parts in the constructor ({@link #register}, {@link #parameter},
 * {@link #buffer}) and implement {@link #compute}; callers run {@link #forward}, which also fires
 * the hooks. Names follow PyTorch's {@code state_dict}: a child's parameter {@code weight} under
 * child {@code conv1} of child {@code block2} is {@code block2.conv1.weight}.
 *
 * <p>One module (or one parameter tensor) may sit in several places of the tree, as tied
 * weights do. As in PyTorch, {@link #namedModules}, {@link #namedParameters},
 * {@link #parameters} and {@link #namedBuffers} list each object once, under the first path met
 * (so an optimizer updates a shared weight once), while {@link #stateDict} names it at every
 * place and {@link #get} resolves every path. The tree can have no cycles.
 */
public abstract class Module {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final Map<String, long[]> counters = new LinkedHashMap<>();
    private final List<Registration> hooks = new CopyOnWriteArrayList<>();
    private boolean training = true;

    /** The module's own computation, without hooks. */
    protected abstract Tensor compute(Tensor input);

    /**
     * Runs the module and then its forward hooks, in registration order, each with this module,
     * {@code input} and the output (the same objects the caller passes and gets back). A parent's
     * hooks fire after those of the children its computation runs.
     *
     * <p>Hooks fire once per call, not once per model pass: a module that one forward pass calls
     * twice (a block applied twice, or one instance registered under two names of a
     * {@link Sequential}) fires its hooks twice, with each call's own input and output. A hook
     * that should capture one output per pass must allow for that (for example keep the last).
     *
     * <p>Hooks see the output with its graph: a loss computed on a captured output sends
     * gradients to the parameters that produced it. A hook added or removed while hooks fire
     * takes effect from the next call.
     */
    public final Tensor forward(Tensor input) {
        Tensor output = compute(input);
        for (Registration r : hooks) {
            r.hook.onForward(this, input, output);
        }
        return output;
    }

    // ---- building the tree

    /**
     * Registers a child module under a name (no dots) and returns it. The same child may be
     * registered in several places, but never so that a module becomes its own descendant.
     */
    protected final <M extends Module> M register(String name, M child) {
        checkName(name);
        Objects.requireNonNull(child, () -> "child module '" + name + "' is null");
        if (child.namedModules().values().stream().anyMatch(m -> m == this)) {
            throw new IllegalArgumentException("registering '" + name + "' (" + child.getClass().getSimpleName()
                    + ") in " + getClass().getSimpleName() + " would make a cycle: it already contains this module");
        }
        children.put(name, child);
        return child;
    }

    /** Registers a trainable parameter (a leaf tensor that requires a gradient) and returns it. */
    protected final Tensor parameter(String name, Tensor value) {
        checkName(name);
        Objects.requireNonNull(value, () -> "parameter '" + name + "' is null");
        if (!value.isLeaf()) {
            throw new IllegalArgumentException("parameter '" + name + "' must be a leaf tensor, got the output of op '"
                    + value.op() + "' (register the leaf, or a detach() of it made to require a gradient)");
        }
        if (!value.requiresGrad()) {
            throw new IllegalArgumentException("parameter '" + name + "' must require a gradient; make it with "
                    + "Tensor.parameter(...) or requiresGrad(true), or register it as a buffer");
        }
        parameters.put(name, value);
        return value;
    }

    /** Registers a buffer (state saved with the model but not trained) and returns it. */
    protected final NDArray buffer(String name, NDArray value) {
        checkName(name);
        Objects.requireNonNull(value, () -> "buffer '" + name + "' is null");
        buffers.put(name, value);
        return value;
    }

    /**
     * Replaces a registered buffer's array (for layers that swap rather than update in place);
     * {@link #stateDict} and {@link #loadStateDict} use the new array from then on.
     */
    protected final void replaceBuffer(String name, NDArray value) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException("no buffer named '" + name + "' in " + getClass().getSimpleName()
                    + "; buffers: " + buffers.keySet());
        }
        Objects.requireNonNull(value, () -> "buffer '" + name + "' is null");
        buffers.put(name, value);
    }

    /** The array of a registered buffer (after {@link #to} it is the moved one). */
    protected final NDArray registeredBuffer(String name) {
        NDArray b = buffers.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no buffer named '" + name + "' in " + getClass().getSimpleName()
                    + "; buffers: " + buffers.keySet());
        }
        return b;
    }

    /**
     * Moves every parameter and buffer of the tree into {@code backend}'s memory
     * ({@link Backend#toDevice}), e.g. to the GPU before training there. Parameters keep their
     * identity (an optimizer built before still updates them) but lose their gradients. Each new
     * array is made in the memory scope that owned the old one (the current scope when the
     * garbage collector did), so it lives as long. Returns this.
     */
    public final Module to(Backend backend) {
        moveArrays(backend::toDevice);
        return this;
    }

    /** Brings every parameter and buffer back to host memory from {@code backend}'s ({@link Backend#toHost}). */
    public final Module toHost(Backend backend) {
        moveArrays(backend::toHost);
        return this;
    }

    private void moveArrays(UnaryOperator<NDArray> mover) {
        UnaryOperator<NDArray> inOwnerScope = x -> {
            MemoryScope owner = x.allocation().owner();
            if (owner == null) {
                return mover.apply(x);
            }
            try (MemoryScope.Activation ignored = owner.activate()) {
                return mover.apply(x);
            }
        };
        for (Tensor p : parameters()) {
            p.replaceData(inOwnerScope.apply(p.data()));
        }
        Map<NDArray, NDArray> moved = new IdentityHashMap<>();
        for (Module m : namedModules().values()) {
            m.buffers.replaceAll((name, b) -> moved.computeIfAbsent(b, inOwnerScope));
        }
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
        Objects.requireNonNull(name, "module part names must not be null");
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

    /**
     * This module ("") and every descendant, by dotted path, depth first in registration order,
     * parents before children. A module registered in several places is listed once, under the
     * first path met.
     */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    /** Every place of every module, shared ones under each of their paths. */
    private Map<String, Module> allPaths() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, out, null);
        return out;
    }

    private static void collectModules(String prefix, Module m, Map<String, Module> out, Set<Module> seen) {
        if (seen != null && !seen.add(m)) {
            return;
        }
        out.put(prefix, m);
        m.children.forEach((name, child) -> collectModules(join(prefix, name), child, out, seen));
    }

    /**
     * Every parameter by dotted path: each module's own parameters, then its children's, in
     * registration order. A tensor registered in several places is listed once.
     */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        namedModules().forEach((path, m) -> m.parameters.forEach((name, p) -> {
            if (seen.add(p)) {
                out.put(join(path, name), p);
            }
        }));
        return out;
    }

    /** The values of {@link #namedParameters()}, in its order: what an optimizer updates. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer by dotted path, each array once. */
    public final Map<String, NDArray> namedBuffers() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        namedModules().forEach((path, m) -> m.buffers.forEach((name, b) -> {
            if (seen.add(b)) {
                out.put(join(path, name), b);
            }
        }));
        return out;
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The descendant at a dotted path ("" is this module); every path of a shared module works. */
    public final Module get(String path) {
        Module m = this;
        if (!path.isEmpty()) {
            for (String name : path.split("\\.", -1)) {
                m = m.children.get(name);
                if (m == null) {
                    throw new IllegalArgumentException("no module at '" + path + "' in " + getClass().getSimpleName()
                            + "; modules: " + allPaths().keySet());
                }
            }
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

    /**
     * Adds a hook fired after each forward of this module (see {@link #forward}). The same hook
     * object may be added more than once; each handle removes its own registration.
     */
    public final HookHandle registerForwardHook(ForwardHook hook) {
        Registration r = new Registration(Objects.requireNonNull(hook, "hook"));
        hooks.add(r);
        return new HookHandle(this, r);
    }

    /** Adds a hook on the descendant at a dotted path (fails, listing the paths, for an unknown one). */
    public final HookHandle registerForwardHook(String path, ForwardHook hook) {
        return get(path).registerForwardHook(hook);
    }

    /** Whether any forward hook is registered on this module (a parent may then skip fusing it with a neighbour). */
    public final boolean hasForwardHooks() {
        return !hooks.isEmpty();
    }

    /** Removes one registration (compared by identity: the hook may be registered again). */
    void removeHook(Registration r) {
        hooks.remove(r);
    }

    /** One registration of a hook; identity, not the hook, tells registrations apart. */
    static final class Registration {
        final ForwardHook hook;

        private Registration(ForwardHook hook) {
            this.hook = hook;
        }
    }

    // ---- state

    /**
     * Parameters, buffers and counters by dotted name, as PyTorch's {@code state_dict()}: arrays
     * in module order (each module's parameters, then its buffers), then the int64 counters.
     * A shared module or tensor appears under every name it has. The arrays are the model's own
     * (not copies): write the dict out before training changes them.
     */
    public final StateDict stateDict() {
        StateDict out = new StateDict();
        allPaths().forEach((path, m) -> {
            m.parameters.forEach((name, p) -> out.put(join(path, name), p.data()));
            m.buffers.forEach((name, b) -> out.put(join(path, name), b));
            m.counters.forEach((name, c) -> out.putLong(join(path, name), c[0]));
        });
        return out;
    }

    /**
     * Copies values from a state dict into this model's parameters, buffers and counters (the
     * model keeps its own arrays; the dict's may be non-contiguous views). Every name, kind
     * (array or int64), shape, dtype and the liveness of every source array are checked first;
     * all mismatches are reported in one exception and nothing is changed when there are any.
     * To load part of a checkpoint into a submodule, use {@code get(path).loadStateDict(
     * state.withPrefix(path + "."))}.
     */
    public final void loadStateDict(StateDict state) {
        StateDict mine = stateDict();
        Set<String> theirs = state.names();
        List<String> problems = new ArrayList<>();
        for (String name : mine.names()) {
            if (!theirs.contains(name)) {
                problems.add("missing '" + name + "'");
            }
        }
        for (String name : theirs) {
            if (mine.array(name) == null && mine.longValue(name) == null) {
                problems.add("unexpected '" + name + "'");
            }
        }
        mine.arrays().forEach((name, target) -> {
            NDArray source = state.array(name);
            if (source == null) {
                if (state.longValue(name) != null) {
                    problems.add("'" + name + "' is an int64 scalar in the file but an array in the model");
                }
            } else if (!Arrays.equals(source.shape(), target.shape()) || source.dtype() != target.dtype()) {
                problems.add("'" + name + "': " + source.dtype() + " " + Arrays.toString(source.shape())
                        + " cannot load into " + target.dtype() + " " + Arrays.toString(target.shape()));
            } else if (!source.isAlive()) {
                problems.add("'" + name + "': the array's memory scope has closed");
            }
        });
        mine.longs().keySet().forEach(name -> {
            if (state.array(name) != null) {
                problems.add("'" + name + "' is an array in the file but an int64 scalar in the model");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + getClass().getSimpleName() + " ("
                    + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "): "
                    + String.join("; ", problems));
        }
        allPaths().forEach((path, m) -> {
            m.parameters.forEach((name, p) -> Autograd.backend().copy(state.array(join(path, name)), p.data()));
            m.buffers.forEach((name, b) -> Autograd.backend().copy(state.array(join(path, name)), b));
            m.counters.forEach((name, c) -> c[0] = state.longValue(join(path, name)));
        });
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + namedParameters().keySet();
    }
}
