package org.layerensembles.autograd.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.layerensembles.core.NDArray;

/**
 * Named state of a model or an optimizer, in insertion order, the way PyTorch's
 * {@code state_dict()} names it (dotted paths such as {@code encoder.block2.conv1.weight}).
 * Arrays (float32/int32) and int64 scalars (such as BatchNorm's {@code num_batches_tracked},
 * or an optimizer's step count) are kept apart because the engine's arrays have no int64 dtype.
 */
public final class StateDict {
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();
    private final Map<String, Long> longs = new LinkedHashMap<>();
    /** Every name in insertion order, arrays and int64 scalars interleaved as PyTorch lists them. */
    private final Set<String> order = new LinkedHashSet<>();

    /** Adds an array entry; a name may appear once across arrays and longs. */
    public StateDict put(String name, NDArray value) {
        checkNew(name);
        Objects.requireNonNull(value, () -> "state entry '" + name + "' is null");
        arrays.put(name, value);
        order.add(name);
        return this;
    }

    /** Adds an int64 scalar entry. */
    public StateDict putLong(String name, long value) {
        checkNew(name);
        longs.put(name, value);
        order.add(name);
        return this;
    }

    /**
     * Adds every entry of another dict with a prefix (e.g. "optimizer."); when any prefixed
     * name is already present, fails and adds nothing.
     */
    public StateDict putAll(String prefix, StateDict other) {
        for (String name : other.names()) {
            checkNew(prefix + name);
        }
        for (String name : other.names()) {
            copyEntry(other, name, prefix + name);
        }
        return this;
    }

    /**
     * The entries whose names start with {@code prefix}, with the prefix removed. The match is
     * textual: give the trailing dot ("encoder.") so that "encoder2.w" is not taken.
     */
    public StateDict withPrefix(String prefix) {
        StateDict out = new StateDict();
        for (String name : order) {
            if (name.startsWith(prefix)) {
                out.copyEntry(this, name, name.substring(prefix.length()));
            }
        }
        return out;
    }

    private void copyEntry(StateDict from, String name, String newName) {
        NDArray array = from.arrays.get(name);
        if (array != null) {
            put(newName, array);
        } else {
            putLong(newName, from.longs.get(name));
        }
    }

    private void checkNew(String name) {
        Objects.requireNonNull(name, "state entry names must not be null");
        if (arrays.containsKey(name) || longs.containsKey(name)) {
            throw new IllegalArgumentException("state entry '" + name + "' is already present");
        }
    }

    public Map<String, NDArray> arrays() {
        return Collections.unmodifiableMap(arrays);
    }

    public Map<String, Long> longs() {
        return Collections.unmodifiableMap(longs);
    }

    public NDArray array(String name) {
        return arrays.get(name);
    }

    public Long longValue(String name) {
        return longs.get(name);
    }

    /** All names in insertion order (PyTorch's state_dict order when filled by a module). */
    public Set<String> names() {
        return Collections.unmodifiableSet(order);
    }

    public int size() {
        return arrays.size() + longs.size();
    }
}
