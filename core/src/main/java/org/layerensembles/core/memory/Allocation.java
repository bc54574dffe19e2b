package org.layerensembles.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The native memory behind one array (shared by all views of it). Either a pooled slab owned by
 * a {@link MemoryScope}, or, when no scope was open, memory the garbage collector frees.
 */
public final class Allocation {
    private final Slab slab;
    private final int generation;
    private final MemorySegment segment;
    private MemoryScope owner;

    private Allocation(Slab slab, MemorySegment segment, MemoryScope owner) {
        this.slab = slab;
        this.generation = slab == null ? 0 : slab.generation;
        this.segment = segment;
        this.owner = owner;
    }

    static Allocation pooled(Slab slab, long bytes, MemoryScope owner) {
        return new Allocation(slab, slab.segment.asSlice(0, bytes), owner);
    }

    static Allocation garbageCollected(long bytes) {
        return new Allocation(null, Arena.ofAuto().allocate(Math.max(bytes, 1), MemoryPool.ALIGNMENT), null);
    }

    /** Whether the memory is still this allocation's (its scope is open, its pool not closed). */
    public boolean isAlive() {
        return slab == null || slab.generation == generation;
    }

    /**
     * The memory, after checking it is still ours. Kernels call this once per array per call and
     * then work on the segment.
     *
     * @throws IllegalStateException when the owning scope has closed or the pool was closed
     */
    public MemorySegment segment() {
        if (slab != null && slab.generation != generation) {
            throw new IllegalStateException("array used after its memory scope closed"
                    + (owner == null ? "" : " (scope '" + owner.name() + "')")
                    + ": keep it with MemoryScope.keep(...) or create it in a longer-lived scope");
        }
        return segment;
    }

    public long byteSize() {
        return segment.byteSize();
    }

    /** The scope that frees this memory, or null when the garbage collector does. */
    public MemoryScope owner() {
        return owner;
    }

    void setOwner(MemoryScope owner) {
        this.owner = owner;
    }

    void free() {
        if (slab != null && slab.generation == generation) {
            slab.pool.release(slab);
        }
    }
}
