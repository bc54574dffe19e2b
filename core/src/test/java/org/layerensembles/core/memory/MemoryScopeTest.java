package org.layerensembles.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

class MemoryScopeTest {

    @Test
    void closingAScopeReturnsItsSlabsToThePool() {
        try (MemoryPool pool = new MemoryPool("test")) {
            try (MemoryScope scope = MemoryScope.open("step", pool)) {
                NDArrays.zeros(1000);
                NDArrays.zeros(10, 10);
                assertEquals(2, pool.slabCount());
                assertTrue(pool.inUseBytes() > 0);
                assertEquals(pool.inUseBytes(), scope.ownedBytes());
            }
            assertEquals(0, pool.inUseBytes());
            assertEquals(2, pool.slabCount(), "released slabs stay pooled for reuse");
        }
    }

    @Test
    void memoryStaysFlatOverThousandsOfScopedSteps() {
        try (MemoryPool pool = new MemoryPool("steps")) {
            long reservedAfterFirstStep = -1;
            for (int step = 0; step < 5000; step++) {
                try (MemoryScope scope = MemoryScope.open("step", pool)) {
                    NDArray a = NDArrays.ones(64, 64);
                    NDArray b = NDArrays.zeros(3, 17);
                    NDArray c = a.reshape(4096).slice(0, 0, 100).contiguous();
                    assertEquals(1f, c.getFloat(99));
                    assertEquals(0f, b.getFloat(2, 16));
                }
                if (step == 0) {
                    reservedAfterFirstStep = pool.reservedBytes();
                }
                assertEquals(reservedAfterFirstStep, pool.reservedBytes(), "step " + step + " reserved new memory");
            }
            assertEquals(0, pool.inUseBytes());
        }
    }

    @Test
    void closingThePoolReturnsMemoryToTheSystem() throws IOException {
        // Arena memory is not in the JVM's buffer-pool beans, so watch the process's resident set
        // (Linux); 64 MiB stands well above the noise of a test JVM.
        assumeTrue(Files.isReadable(STATM), "needs /proc/self/statm");
        long mib = 1 << 20;
        long before = residentBytes();
        MemoryPool pool = new MemoryPool("big");
        try (MemoryScope scope = MemoryScope.open("s", pool)) {
            NDArrays.zeros(16 * (int) mib); // 64 MiB, touched by the zeroing
        }
        assertTrue(pool.reservedBytes() >= 64 * mib);
        long held = residentBytes();
        assertTrue(held - before >= 48 * mib, "resident set grew only " + (held - before) / mib + " MiB");
        pool.close();
        assertEquals(0, pool.reservedBytes());
        assertEquals(0, pool.slabCount());
        long after = residentBytes();
        assertTrue(held - after >= 48 * mib, "closing the pool gave back only " + (held - after) / mib + " MiB");
    }

    private static final Path STATM = Path.of("/proc/self/statm");

    private static long residentBytes() throws IOException {
        String[] fields = Files.readString(STATM).trim().split("\\s+");
        return Long.parseLong(fields[1]) * 4096;
    }

    @Test
    void trimFreesOnlyIdleSlabs() {
        try (MemoryPool pool = new MemoryPool("trim")) {
            MemoryScope outer = MemoryScope.open("outer", pool);
            NDArray kept = NDArrays.full(3f, 256);
            try (MemoryScope inner = MemoryScope.open("inner", pool)) {
                NDArrays.zeros(1024);
            }
            pool.trim();
            assertEquals(1, pool.slabCount());
            assertEquals(3f, kept.getFloat(255));
            outer.close();
        }
    }

    @Test
    void usingAnArrayAfterItsScopeClosedThrows() {
        NDArray escaped;
        try (MemoryScope scope = MemoryScope.open()) {
            escaped = NDArrays.ones(8);
        }
        assertFalse(escaped.isAlive());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> escaped.getFloat(0));
        assertTrue(e.getMessage().contains("after its memory scope closed"), e.getMessage());
        assertThrows(IllegalStateException.class, escaped::toFloatArray);
    }

    @Test
    void aReusedSlabNeverShowsStaleDataToTheOldArray() {
        try (MemoryPool pool = new MemoryPool("reuse")) {
            NDArray old;
            try (MemoryScope s = MemoryScope.open("first", pool)) {
                old = NDArrays.full(1f, 100);
            }
            try (MemoryScope s = MemoryScope.open("second", pool)) {
                NDArray fresh = NDArrays.full(2f, 100);
                assertEquals(1, pool.slabCount(), "the slab was reused");
                assertEquals(2f, fresh.getFloat(0));
                assertThrows(IllegalStateException.class, () -> old.getFloat(0));
            }
        }
    }

    @Test
    void arraysOfAClosedPoolThrowInsteadOfCrashing() {
        MemoryPool pool = new MemoryPool("closing");
        MemoryScope scope = MemoryScope.open("s", pool);
        NDArray a = NDArrays.ones(16);
        pool.close();
        assertThrows(IllegalStateException.class, () -> a.getFloat(0));
        scope.close();
    }

    @Test
    void keepMovesAnArrayToTheEnclosingScope() {
        try (MemoryPool pool = new MemoryPool("keep")) {
            try (MemoryScope outer = MemoryScope.open("outer", pool)) {
                NDArray result;
                NDArray view;
                try (MemoryScope inner = MemoryScope.open("inner", pool)) {
                    result = inner.keep(NDArrays.full(5f, 4, 4));
                    view = result.transpose(0, 1);
                    NDArrays.zeros(100);
                }
                assertTrue(result.isAlive());
                assertEquals(5f, view.getFloat(3, 2), "views share the kept memory");
                assertSame(outer, result.allocation().owner());
            }
            assertEquals(0, pool.inUseBytes());
        }
    }

    @Test
    void keepWithoutAnEnclosingScopeIsAClearError() {
        try (MemoryPool pool = new MemoryPool("lonely"); MemoryScope only = MemoryScope.open("only", pool)) {
            NDArray a = NDArrays.ones(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> only.keep(a));
            assertTrue(e.getMessage().contains("no enclosing scope"), e.getMessage());
        }
    }

    @Test
    void scopesMustCloseInOrder() {
        try (MemoryPool pool = new MemoryPool("order")) {
            MemoryScope outer = MemoryScope.open("outer", pool);
            MemoryScope inner = MemoryScope.open("inner", pool);
            IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(e.getMessage().contains("out of order"), e.getMessage());
            inner.close();
            outer.close();
        }
    }

    @Test
    void aLongLivedScopeOwnsWhatIsCreatedWhileActive() {
        try (MemoryPool pool = new MemoryPool("params")) {
            MemoryScope params = MemoryScope.longLived("parameters", pool);
            NDArray weight;
            try (MemoryScope.Activation ignored = params.activate()) {
                weight = NDArrays.full(0.5f, 3, 3);
            }
            for (int step = 0; step < 3; step++) {
                try (MemoryScope s = MemoryScope.open("step", pool)) {
                    NDArrays.zeros(9);
                }
            }
            assertEquals(0.5f, weight.getFloat(2, 2));
            params.close();
            assertFalse(weight.isAlive());
        }
    }

    @Test
    void withoutAScopeTheGarbageCollectorOwnsTheMemory() {
        assertEquals(null, MemoryScope.current());
        NDArray a = NDArrays.full(7f, 3);
        assertEquals(null, a.allocation().owner());
        assertEquals(7f, a.getFloat(1));
    }

    @Test
    void sizeClassesWasteAtMostAQuarter() {
        for (long bytes = 1; bytes < 1 << 22; bytes = bytes * 3 / 2 + 1) {
            long size = MemoryPool.sizeClass(bytes);
            assertTrue(size >= bytes && size % MemoryPool.ALIGNMENT == 0);
            assertTrue(bytes < 256 || size <= bytes * 1.25 + 1, bytes + " -> " + size);
        }
    }

    @Test
    void zerosBesideLivesInTheScopeOfItsNeighbour() {
        try (MemoryPool pool = new MemoryPool("beside")) {
            MemoryScope params = MemoryScope.longLived("parameters", pool);
            NDArray weight;
            try (MemoryScope.Activation ignored = params.activate()) {
                weight = NDArrays.ones(4);
            }
            NDArray grad;
            try (MemoryScope step = MemoryScope.open("step", pool)) {
                grad = NDArrays.zerosBeside(weight);
            }
            assertTrue(grad.isAlive(), "the gradient belongs to the parameters' scope, not the step's");
            assertSame(params, grad.allocation().owner());
            assertEquals(0f, grad.getFloat(3));
            params.close();
            assertFalse(grad.isAlive());
        }
    }
}
