package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The caching logic, against a fake device that counts calls and can run out of memory. */
class CudaAllocatorTest {

    /** Hands out increasing addresses from a budget of bytes; records every call. */
    static final class FakeDevice implements CudaAllocator.RawAllocator {
        final long capacity;
        long used;
        long next = 0x1000_0000L;
        final Map<Long, Long> live = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            calls.add("alloc " + bytes);
            if (used + bytes > capacity) {
                throw new CudaException("cuMemAlloc_v2", CudaException.OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY",
                        "out of memory");
            }
            long a = next;
            next += bytes;
            used += bytes;
            live.put(a, bytes);
            return a;
        }

        @Override
        public void free(long address) {
            calls.add("free " + address);
            used -= live.remove(address);
        }

        @Override
        public void synchronize() {
            calls.add("sync");
        }
    }

    @Test
    void sizeClassesRoundUpByAtMostAQuarter() {
        assertEquals(512, CudaAllocator.sizeClass(0));
        assertEquals(512, CudaAllocator.sizeClass(1));
        assertEquals(512, CudaAllocator.sizeClass(512));
        assertEquals(640, CudaAllocator.sizeClass(513));
        assertEquals(1024, CudaAllocator.sizeClass(1000));
        assertEquals(1024, CudaAllocator.sizeClass(1024));
        assertEquals(1280, CudaAllocator.sizeClass(1025));
        assertEquals(48L << 20, CudaAllocator.sizeClass((40L << 20) + 1));
        for (long bytes = 1; bytes < 1 << 22; bytes = bytes * 3 / 2 + 7) {
            long c = CudaAllocator.sizeClass(bytes);
            assertTrue(c >= bytes, "class " + c + " holds " + bytes);
            assertTrue(bytes <= 512 || c <= bytes * 1.25 + 1, "class " + c + " wastes at most 25% of " + bytes);
            assertEquals(c, CudaAllocator.sizeClass(c), "a class is its own class");
        }
        assertThrows(IllegalArgumentException.class, () -> CudaAllocator.sizeClass(-1));
    }

    @Test
    void aFreedBlockIsReusedForTheSameClassWithoutTheDriver() {
        FakeDevice dev = new FakeDevice(1 << 20);
        CudaAllocator a = new CudaAllocator(dev);
        long p = a.allocate(1000);
        a.free(p);
        long q = a.allocate(900); // also class 1024
        assertEquals(p, q);
        assertEquals(List.of("alloc 1024"), dev.calls, "one driver call; no sync for stream-ordered reuse");
        CudaAllocator.Stats s = a.stats();
        assertEquals(1024, s.bytesInUse());
        assertEquals(0, s.bytesCached());
        assertEquals(1, s.driverAllocs());
        assertEquals(1, s.reuses());
    }

    @Test
    void anotherClassGetsItsOwnBlock() {
        FakeDevice dev = new FakeDevice(1 << 20);
        CudaAllocator a = new CudaAllocator(dev);
        long p = a.allocate(1000);
        a.free(p);
        long q = a.allocate(4000);
        assertNotEquals(p, q);
        assertEquals(1024, a.stats().bytesCached());
        assertEquals(1024 + 4096, a.stats().peakReserved());
    }

    @Test
    void outOfMemoryTrimsTheCacheAndRetriesOnce() {
        FakeDevice dev = new FakeDevice(3000);
        CudaAllocator a = new CudaAllocator(dev);
        long p = a.allocate(1024);
        long q = a.allocate(1024);
        a.free(p);
        a.free(q);
        long r = a.allocate(2048); // 2048 + 2048 cached > 3000: fails, trims, succeeds
        assertEquals(2048, dev.live.get(r));
        assertEquals(List.of("alloc 1024", "alloc 1024", "alloc 2048", "sync", "free " + q, "free " + p,
                "alloc 2048").stream().sorted().toList(), dev.calls.stream().sorted().toList());
        assertEquals(1, a.stats().trims());
        assertEquals(0, a.stats().bytesCached());
    }

    @Test
    void outOfMemoryWithAnEmptyCacheIsReported() {
        CudaAllocator a = new CudaAllocator(new FakeDevice(1000));
        CudaException e = assertThrows(CudaException.class, () -> a.allocate(4096));
        assertTrue(e.isOutOfMemory());
        assertTrue(e.getMessage().contains("cuMemAlloc_v2") && e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"),
                e.getMessage());
    }

    @Test
    void doubleFreeAndForeignAddressesAreRefused() {
        CudaAllocator a = new CudaAllocator(new FakeDevice(1 << 20));
        long p = a.allocate(10);
        a.free(p);
        assertThrows(IllegalArgumentException.class, () -> a.free(p));
        assertThrows(IllegalArgumentException.class, () -> a.free(12345));
    }

    @Test
    void trimReturnsOnlyCachedBlocks() {
        FakeDevice dev = new FakeDevice(1 << 20);
        CudaAllocator a = new CudaAllocator(dev);
        long kept = a.allocate(100);
        a.free(a.allocate(100));
        a.trim();
        assertEquals(1, dev.live.size());
        assertTrue(dev.live.containsKey(kept));
        assertEquals(512, a.stats().bytesInUse());
        assertEquals(0, a.stats().bytesCached());
    }
}
