package org.layerensembles.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator for device memory. Requests are rounded up to a size class; a freed block
 * goes to its class's free list instead of back to the driver, and the next request of that
 * class takes it. {@code cuMemAlloc}/{@code cuMemFree} are slow and synchronising, so a
 * steady-state training step should reach the driver not at all.
 *
 * <p>Frees are stream-ordered: all of the engine's work on a device goes to one stream, so a
 * block freed after the kernels that use it were enqueued can be handed to later work on that
 * same stream at once — the stream runs the later work after the earlier. No synchronisation is
 * needed; the price is that this allocator must not serve a second stream.
 *
 * <p>When the driver runs out of memory, the cached blocks are released ({@link #trim()}) and the
 * allocation is tried once more. Thread-safe (blocks may be freed by a {@code Cleaner} thread).
 */
public final class CudaAllocator {
    /** Blocks are at least this big (the driver aligns allocations to 256 bytes anyway). */
    static final long MIN_BLOCK = 512;
    /** Size classes per doubling above {@link #MIN_BLOCK}: at most 25% is wasted by rounding. */
    private static final int STEPS_PER_DOUBLING = 4;

    /** Where blocks come from and go back to: the driver, or a fake in tests. */
    public interface RawAllocator {
        /**
         * @throws CudaException with {@link CudaException#isOutOfMemory()} when the device is full
         */
        long allocate(long bytes);

        void free(long address);

        /** Waits for work that may still use cached blocks, before {@link #trim()} frees them. */
        void synchronize();
    }

    /**
     * Counters since creation.
     *
     * @param bytesInUse    bytes in blocks handed out and not yet freed (size classes, not requests)
     * @param bytesCached   bytes in free blocks kept for reuse
     * @param peakReserved  the most bytes ever held from the driver at once (in use + cached)
     * @param driverAllocs  calls that reached the driver's allocate
     * @param reuses        requests served from the cache
     * @param trims         times the cache was emptied (explicitly or on out-of-memory)
     */
    public record Stats(long bytesInUse, long bytesCached, long peakReserved, long driverAllocs, long reuses,
                        long trims) {
    }

    private final RawAllocator raw;
    private final Map<Long, ArrayDeque<Long>> freeBlocks = new HashMap<>();
    private final Map<Long, Long> liveBlocks = new HashMap<>();
    private long bytesInUse;
    private long bytesCached;
    private long peakReserved;
    private long driverAllocs;
    private long reuses;
    private long trims;

    public CudaAllocator(RawAllocator raw) {
        this.raw = raw;
    }

    /**
     * The size class of a request: {@link #MIN_BLOCK} or more, rounded up to one of four steps
     * between consecutive powers of two (e.g. 513 to 640, 1000 to 1024, 1025 to 1280).
     */
    static long sizeClass(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: negative size " + bytes);
        }
        if (bytes <= MIN_BLOCK) {
            return MIN_BLOCK;
        }
        long below = Long.highestOneBit(bytes - 1); // below < bytes <= 2 * below
        long step = below / STEPS_PER_DOUBLING;
        return (bytes + step - 1) / step * step;
    }

    /** A device block of at least {@code bytes}, from the cache when one of its class is free. */
    public synchronized long allocate(long bytes) {
        long size = sizeClass(bytes);
        ArrayDeque<Long> list = freeBlocks.get(size);
        long address;
        if (list != null && !list.isEmpty()) {
            address = list.pop();
            bytesCached -= size;
            reuses++;
        } else {
            address = allocateFromDriver(size);
        }
        liveBlocks.put(address, size);
        bytesInUse += size;
        peakReserved = Math.max(peakReserved, bytesInUse + bytesCached);
        return address;
    }

    private long allocateFromDriver(long size) {
        long address;
        try {
            address = raw.allocate(size);
        } catch (CudaException e) {
            if (!e.isOutOfMemory() || bytesCached == 0) {
                throw e;
            }
            trim();
            address = raw.allocate(size);
        }
        driverAllocs++;
        return address;
    }

    /**
     * Returns a block to its free list. Work already enqueued on the stream may still be using
     * it; only later work on the same stream will get it (see the class comment).
     *
     * @throws IllegalArgumentException for an address this allocator did not hand out (or a double free)
     */
    public synchronized void free(long address) {
        Long size = liveBlocks.remove(address);
        if (size == null) {
            throw new IllegalArgumentException("free: 0x" + Long.toHexString(address)
                    + " is not a live block of this allocator (double free?)");
        }
        freeBlocks.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
        bytesInUse -= size;
        bytesCached += size;
    }

    /** Gives every cached (free) block back to the driver. Blocks in use are untouched. */
    public synchronized void trim() {
        if (!freeBlocks.isEmpty()) {
            raw.synchronize();
        }
        for (Map.Entry<Long, ArrayDeque<Long>> e : freeBlocks.entrySet()) {
            for (long address : e.getValue()) {
                raw.free(address);
                bytesCached -= e.getKey();
            }
        }
        freeBlocks.clear();
        trims++;
    }

    public synchronized Stats stats() {
        return new Stats(bytesInUse, bytesCached, peakReserved, driverAllocs, reuses, trims);
    }
}
