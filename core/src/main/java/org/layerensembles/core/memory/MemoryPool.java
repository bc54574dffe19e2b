package org.layerensembles.core.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pool of native memory slabs, reused across scopes so that a steady-state training step
 * allocates no new native memory.
 *
 * <p>Requests are rounded up to a size class (four classes per power of two, so at most 25% is
 * wasted); a released slab goes onto its class's free list and serves the next request of that
 * class. Memory goes back to the operating system only through {@link #trim()} or
 * {@link #close()}.
 *
 * <p>Thread-safe: scopes on different threads may share one pool.
 */
public final class MemoryPool implements AutoCloseable {
    /** Every slab starts on a 64-byte boundary (one cache line, one AVX-512 vector). */
    public static final long ALIGNMENT = 64;

    private static final MemoryPool GLOBAL = new MemoryPool("global");

    private final String name;
    private final Map<Long, ArrayDeque<Slab>> free = new HashMap<>();
    private final List<Slab> all = new ArrayList<>();
    private long reservedBytes;
    private long inUseBytes;
    private boolean closed;

    public MemoryPool(String name) {
        this.name = name;
    }

    /** The process-wide pool that {@link MemoryScope#open()} draws from. Never closed. */
    public static MemoryPool global() {
        return GLOBAL;
    }

    /** The slab size serving a request of this many bytes. */
    static long sizeClass(long bytes) {
        long b = Math.max(bytes, ALIGNMENT);
        long power = Long.highestOneBit(b);
        long quarter = Math.max(power / 4, ALIGNMENT);
        return (b + quarter - 1) / quarter * quarter;
    }

    synchronized Slab acquire(long bytes) {
        if (closed) {
            throw new IllegalStateException("memory pool '" + name + "' is closed");
        }
        long size = sizeClass(bytes);
        ArrayDeque<Slab> list = free.get(size);
        Slab slab = list == null ? null : list.poll();
        if (slab == null) {
            slab = new Slab(this, size);
            all.add(slab);
            reservedBytes += size;
        }
        inUseBytes += size;
        return slab;
    }

    synchronized void release(Slab slab) {
        slab.generation++;
        if (closed) {
            return;
        }
        inUseBytes -= slab.capacity;
        free.computeIfAbsent(slab.capacity, k -> new ArrayDeque<>()).push(slab);
    }

    /** Returns every slab not in use to the operating system. */
    public synchronized void trim() {
        for (ArrayDeque<Slab> list : free.values()) {
            for (Slab slab : list) {
                slab.arena.close();
                all.remove(slab);
                reservedBytes -= slab.capacity;
            }
        }
        free.clear();
    }

    /** Native bytes this pool holds from the operating system (in use plus free slabs). */
    public synchronized long reservedBytes() {
        return reservedBytes;
    }

    /** Native bytes currently handed out to live allocations. */
    public synchronized long inUseBytes() {
        return inUseBytes;
    }

    /** Number of slabs this pool holds. */
    public synchronized int slabCount() {
        return all.size();
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Frees all memory of this pool, including slabs still held by open scopes: arrays using them
     * throw from then on. Closing the {@link #global()} pool is not allowed.
     */
    @Override
    public synchronized void close() {
        if (this == GLOBAL) {
            throw new UnsupportedOperationException("the global memory pool cannot be closed; use trim()");
        }
        if (closed) {
            return;
        }
        closed = true;
        for (Slab slab : all) {
            slab.generation++;
            slab.arena.close();
        }
        all.clear();
        free.clear();
        reservedBytes = 0;
        inUseBytes = 0;
    }

    @Override
    public String toString() {
        return "MemoryPool(" + name + ", reserved " + reservedBytes() + " B, in use " + inUseBytes() + " B)";
    }
}
