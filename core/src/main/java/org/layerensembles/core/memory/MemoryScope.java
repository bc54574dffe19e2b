package org.layerensembles.core.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.layerensembles.core.NDArray;

/**
 * Owns the native memory of the arrays created while it is the innermost open scope of its
 * thread, and gives it back to the pool the moment it closes.
 *
 * <pre>{@code
 * try (MemoryScope step = MemoryScope.open()) {
 *     NDArray loss = ...;              // temporaries of the step
 *     step.keep(result);               // survives: moves to the enclosing scope
 * }                                    // everything else is back in the pool
 * }</pre>
 *
 * <p>Scopes form a stack per thread and must close in reverse order of opening. Arrays created
 * with no scope open are freed by the garbage collector instead (handy in tests and scripts; a
 * training loop should use scopes). Long-lived memory such as parameters goes into a scope made
 * with {@link #longLived(String)} and made current for a while with {@link #activate()}.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final String name;
    private final MemoryPool pool;
    private final boolean onStack;
    private final List<Allocation> owned = new ArrayList<>();
    private boolean closed;

    private MemoryScope(String name, MemoryPool pool, boolean onStack) {
        this.name = name;
        this.pool = pool;
        this.onStack = onStack;
    }

    /** Opens a scope on the global pool and makes it the current scope of this thread. */
    public static MemoryScope open() {
        return open("scope", MemoryPool.global());
    }

    /** Opens a named scope drawing from the given pool and makes it current. */
    public static MemoryScope open(String name, MemoryPool pool) {
        MemoryScope scope = new MemoryScope(name, pool, true);
        STACK.get().push(scope);
        return scope;
    }

    /**
     * A scope that is not tied to a block of code (parameters, optimizer state). It is current
     * only inside {@link #activate()}; it frees its memory when closed.
     */
    public static MemoryScope longLived(String name) {
        return longLived(name, MemoryPool.global());
    }

    public static MemoryScope longLived(String name, MemoryPool pool) {
        return new MemoryScope(name, pool, false);
    }

    /** The innermost open scope of this thread, or null. */
    public static MemoryScope current() {
        return STACK.get().peek();
    }

    /**
     * Native memory for a new array: from the current scope's pool, owned by that scope; or
     * garbage-collected memory when no scope is open. The memory is not zeroed.
     */
    public static Allocation allocate(long bytes) {
        MemoryScope scope = current();
        return scope == null ? Allocation.garbageCollected(bytes) : scope.allocateHere(bytes);
    }

    /**
     * Memory owned by the given scope, or garbage-collected memory when it is null: for arrays
     * that must live as long as another array (e.g. a parameter's gradient beside the parameter).
     */
    public static Allocation allocateIn(MemoryScope scope, long bytes) {
        return scope == null ? Allocation.garbageCollected(bytes) : scope.allocateHere(bytes);
    }

    /** Allocates memory owned by this scope, whether or not it is current. */
    public synchronized Allocation allocateHere(long bytes) {
        checkOpen();
        Allocation a = Allocation.pooled(pool.acquire(bytes), bytes, this);
        owned.add(a);
        return a;
    }

    /** Takes ownership of memory a backend allocated on a device ({@link Allocation#onDevice}). */
    synchronized void adopt(Allocation deviceAllocation) {
        checkOpen();
        owned.add(deviceAllocation);
    }

    /**
     * Makes this (long-lived) scope the current one until the returned handle is closed; closing
     * the handle does not free anything.
     */
    public Activation activate() {
        checkOpen();
        STACK.get().push(this);
        return new Activation(this);
    }

    /** The handle returned by {@link #activate()}. */
    public static final class Activation implements AutoCloseable {
        private final MemoryScope scope;

        private Activation(MemoryScope scope) {
            this.scope = scope;
        }

        @Override
        public void close() {
            ArrayDeque<MemoryScope> stack = STACK.get();
            if (stack.peek() != scope) {
                throw new IllegalStateException("scope '" + scope.name + "' deactivated out of order");
            }
            stack.pop();
        }
    }

    /**
     * Moves an array's memory (and so every view of it) to the scope that encloses this one, so
     * it survives this scope's closing. Returns the array, for chaining.
     *
     * @throws IllegalStateException when the array is not owned by this scope or there is no
     *                               enclosing scope to keep it in
     */
    public NDArray keep(NDArray array) {
        keepIn(array, enclosing());
        return array;
    }

    /** Moves an array's memory from this scope to another open scope of the same pool. */
    public synchronized void keepIn(NDArray array, MemoryScope target) {
        Allocation a = array.allocation();
        if (a.owner() != this) {
            throw new IllegalStateException("keep: the array is not owned by scope '" + name + "'");
        }
        if (target == null) {
            throw new IllegalStateException("keep: scope '" + name
                    + "' has no enclosing scope; create the array in a long-lived scope instead");
        }
        if (a.isPooled() && target.pool != pool) {
            throw new IllegalStateException("keep: scopes '" + name + "' and '" + target.name + "' use different pools");
        }
        target.checkOpen();
        owned.remove(a);
        synchronized (target) {
            target.owned.add(a);
        }
        a.setOwner(target);
    }

    private MemoryScope enclosing() {
        boolean seenSelf = false;
        for (MemoryScope s : STACK.get()) {
            if (seenSelf) {
                return s;
            }
            seenSelf = s == this;
        }
        return null;
    }

    public String name() {
        return name;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Bytes this scope currently owns (rounded up to the pool's size classes). */
    public synchronized long ownedBytes() {
        long sum = 0;
        for (Allocation a : owned) {
            sum += MemoryPool.sizeClass(a.byteSize());
        }
        return sum;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("memory scope '" + name + "' is closed");
        }
    }

    /** Returns all memory this scope owns to the pool; arrays using it throw from now on. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (onStack) {
            ArrayDeque<MemoryScope> stack = STACK.get();
            if (stack.peek() != this) {
                throw new IllegalStateException("memory scope '" + name
                        + "' closed out of order: close inner scopes first (use try-with-resources)");
            }
            stack.pop();
        }
        closed = true;
        for (Allocation a : owned) {
            a.free();
        }
        owned.clear();
    }
}
