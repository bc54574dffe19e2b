package org.layerensembles.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread native scratch buffers for kernels (im2col columns and the like): each thread keeps
 * one buffer per slot, grown when a larger one is asked for and reused afterwards, so that a
 * steady state allocates nothing. Contents are undefined. A buffer is only valid on its thread
 * until the next request for the same slot.
 */
final class CpuScratch {
    /** Slot of the convolution column buffer. */
    static final int CONV_COLUMNS = 0;
    /** Slots of {@link CpuGemm}'s packed A block, packed B panel and register-tile spill. */
    static final int GEMM_A = 1;
    static final int GEMM_B = 2;
    static final int GEMM_TILE = 3;
    /** Slot of {@link GemmPacking}'s in-register transposes (two L x L blocks). */
    static final int GEMM_TRANSPOSE = 4;
    private static final int SLOTS = 5;

    private static final ThreadLocal<MemorySegment[]> BUFFERS = ThreadLocal.withInitial(() -> new MemorySegment[SLOTS]);

    private CpuScratch() {
    }

    /** A native buffer of at least {@code count} floats for this thread and slot. */
    static MemorySegment floats(int slot, long count) {
        MemorySegment[] buffers = BUFFERS.get();
        MemorySegment s = buffers[slot];
        long bytes = Math.max(count, 16) * 4;
        if (s == null || s.byteSize() < bytes) {
            long size = s == null ? bytes : Math.max(bytes, s.byteSize() * 2);
            s = Arena.ofAuto().allocate(size, 64);
            buffers[slot] = s;
        }
        return s;
    }
}
