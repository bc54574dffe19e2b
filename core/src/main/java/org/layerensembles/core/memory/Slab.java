package org.layerensembles.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One block of native memory owned by a {@link MemoryPool}. A slab is handed to one allocation
 * at a time; every release bumps its generation, so an array still holding the old generation
 * can tell that its memory has been taken back.
 */
final class Slab {
    final MemoryPool pool;
    final Arena arena;
    final MemorySegment segment;
    final long capacity;
    /** Bumped on every release and when the pool closes; compared by {@link Allocation}. */
    volatile int generation;

    Slab(MemoryPool pool, long capacity) {
        this.pool = pool;
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(capacity, MemoryPool.ALIGNMENT);
        this.capacity = capacity;
    }
}
