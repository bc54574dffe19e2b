package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;
import org.layerensembles.core.memory.MemoryScope;

/** The driver binding on a real GPU: skipped, with the reason, where there is none. */
@Tag("gpu")
class CudaDriverGpuTest {
    private static CudaContext ctx;

    // Per test, not @BeforeAll: surefire then lists each test as skipped, with the reason.
    @BeforeEach
    void needsAGpu() {
        GpuAssumption.requireGpu();
        if (ctx == null) {
            ctx = CudaContext.device(0);
            System.out.println("[gpu] " + ctx + ", driver CUDA " + CudaDriver.get().driverVersion());
        }
    }

    @Test
    void deviceProperties() {
        assertSame(ctx, CudaContext.device(0));
        assertTrue(ctx.computeCapabilityMajor() >= 5, ctx.toString());
        assertTrue(ctx.multiprocessorCount() > 0, ctx.toString());
        assertTrue(ctx.totalMemory() > 1L << 30, ctx.toString());
        assertTrue(!ctx.name().isBlank());
        assertEquals("cuda:0", ctx.engineDevice().toString());
        assertThrows(IllegalArgumentException.class, () -> CudaContext.device(CudaDriver.get().deviceCount()));
    }

    @Test
    void hostToDeviceToDeviceToHostRoundTrip() {
        int n = 1 << 20;
        CudaAllocator alloc = ctx.allocator();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4L * n, 64);
            MemorySegment dst = arena.allocate(4L * n + 12, 64);
            for (int i = 0; i < n; i++) {
                src.setAtIndex(ValueLayout.JAVA_INT, i, i * 31 + 7);
            }
            long a = alloc.allocate(4L * n);
            long b = alloc.allocate(4L * n);
            ctx.memory().copyHostToDevice(src, 0, a, 4L * n);
            ctx.memory().copyDeviceToDevice(a, b, 4L * n);
            ctx.memory().copyDeviceToHost(b, dst, 12, 4L * n);
            for (int i = 0; i < n; i++) {
                assertEquals(i * 31 + 7, dst.getAtIndex(ValueLayout.JAVA_INT, i + 3), "element " + i);
            }
            alloc.free(a);
            alloc.free(b);
        }
    }

    @Test
    void memsetD32WritesFloatBits() {
        int n = 1000;
        long p = ctx.allocator().allocate(4L * n);
        try (Arena arena = Arena.ofConfined()) {
            ctx.memory().memsetD32(p, Float.floatToRawIntBits(-2.5f), n);
            MemorySegment host = arena.allocate(4L * n);
            ctx.memory().copyDeviceToHost(p, host, 0, 4L * n);
            for (int i = 0; i < n; i++) {
                assertEquals(-2.5f, host.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
        } finally {
            ctx.allocator().free(p);
        }
    }

    @Test
    void smokeKernelFillsAnArray() {
        CudaModule module = CudaModule.load(ctx, "smoke");
        System.out.println("[gpu] loaded " + module.resource());
        CudaFunction fill = module.function("fill_f32");
        try (MemoryScope scope = MemoryScope.open()) {
            CudaArrays arrays = new CudaArrays(ctx);
            NDArray d = arrays.empty(DType.FLOAT32, 3, 1000, 333);
            long n = d.numel();
            fill.launch(Grid.of(120), Block.of(256), 0, KernelArgs.create().ptr(d).i64(n).f32(0.75f));
            float[] back = arrays.toHost(d).toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(0.75f, back[i], "element " + i);
            }
            CudaException e = assertThrows(CudaException.class, () -> module.function("no_such_kernel"));
            assertTrue(e.getMessage().contains("no_such_kernel") && e.getMessage().contains("CUDA_ERROR_NOT_FOUND"),
                    e.getMessage());
        }
    }

    @Test
    void arraysMoveBothWaysIncludingStridedViews() {
        try (MemoryScope scope = MemoryScope.open()) {
            CudaArrays arrays = new CudaArrays(ctx);
            NDArray host = NDArrays.randomUniform(new SeededRandom(9), -1, 1, 4, 5, 6);
            NDArray dev = arrays.toDevice(host.permute(2, 0, 1));
            assertEquals("cuda:0", dev.device().toString());
            assertSame(dev, arrays.toDevice(dev));
            assertArrayEquals(host.permute(2, 0, 1).contiguous().toFloatArray(), arrays.toHost(dev).toFloatArray());
            NDArray view = dev.permute(1, 2, 0);
            assertArrayEquals(host.toFloatArray(), arrays.toHost(view).toFloatArray());
            assertThrows(IllegalStateException.class, dev::segment, "the host cannot read device memory");
        }
    }

    @Test
    void closingTheScopeReturnsDeviceArraysToTheCache() {
        CudaAllocator alloc = ctx.allocator();
        long cachedBefore;
        try (MemoryScope scope = MemoryScope.open()) {
            new CudaArrays(ctx).empty(DType.FLOAT32, 1 << 18);
            cachedBefore = alloc.stats().bytesCached();
        }
        assertEquals(cachedBefore + (1L << 20), alloc.stats().bytesCached());
        long reusesBefore = alloc.stats().reuses();
        try (MemoryScope scope = MemoryScope.open()) {
            new CudaArrays(ctx).empty(DType.FLOAT32, 1 << 18);
            assertEquals(reusesBefore + 1, alloc.stats().reuses());
        }
    }

    @Test
    void eventsTimeAKernel() {
        CudaFunction fill = CudaModule.load(ctx, "smoke").function("fill_f32");
        long n = 64L << 20;
        long p = ctx.allocator().allocate(4 * n);
        try (CudaEvent start = CudaEvent.create(ctx); CudaEvent end = CudaEvent.create(ctx)) {
            fill.launch(Grid.of(4 * ctx.multiprocessorCount()), Block.of(256), 0,
                    KernelArgs.create().ptr(p).i64(n).f32(1f)); // warm-up
            start.record();
            fill.launch(Grid.of(4 * ctx.multiprocessorCount()), Block.of(256), 0,
                    KernelArgs.create().ptr(p).i64(n).f32(2f));
            end.record();
            float ms = CudaEvent.elapsedMillis(start, end);
            System.out.printf("[gpu] fill of %d MiB: %.3f ms, %.0f GB/s written%n", 4 * n >> 20, ms, 4 * n / (ms * 1e6));
            assertTrue(ms > 0 && ms < 1000, "elapsed " + ms + " ms");
        } finally {
            ctx.allocator().free(p);
        }
    }
}
