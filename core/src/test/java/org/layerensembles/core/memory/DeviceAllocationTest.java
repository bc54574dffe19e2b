package org.layerensembles.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;
import org.layerensembles.core.Device;
import org.layerensembles.core.NDArray;

/** Device memory handed to scopes by a backend: owned, released once, never read by the host. */
class DeviceAllocationTest {
    private static final Device FAKE = new Device("fake", 0);

    @Test
    void scopeReleasesDeviceMemoryExactlyOnce() {
        AtomicInteger releases = new AtomicInteger();
        Allocation a;
        try (MemoryScope scope = MemoryScope.open()) {
            a = Allocation.onDevice(FAKE, 0x1000, 64, releases::incrementAndGet);
            assertEquals(FAKE, a.device());
            assertEquals(0x1000, a.deviceAddress());
            assertEquals(64, a.byteSize());
            assertTrue(a.isAlive());
            assertEquals(0, releases.get());
        }
        assertEquals(1, releases.get());
        assertFalse(a.isAlive());
        IllegalStateException e = assertThrows(IllegalStateException.class, a::deviceAddress);
        assertTrue(e.getMessage().contains("after its memory scope closed"), e.getMessage());
        a.free();
        assertEquals(1, releases.get());
    }

    @Test
    void keptDeviceMemoryMovesToTheEnclosingScope() {
        AtomicInteger releases = new AtomicInteger();
        try (MemoryScope outer = MemoryScope.open()) {
            NDArray kept;
            try (MemoryScope inner = MemoryScope.open()) {
                Allocation a = Allocation.onDevice(FAKE, 0x2000, 16, releases::incrementAndGet);
                kept = NDArray.view(a, DType.FLOAT32, new int[] {4}, new int[] {1}, 0);
                inner.keep(kept);
            }
            assertEquals(0, releases.get());
            assertEquals(FAKE, kept.device());
        }
        assertEquals(1, releases.get());
    }

    @Test
    void hostCannotReadDeviceArrays() {
        Allocation a = Allocation.onDevice(FAKE, 0x3000, 16, () -> { });
        NDArray x = NDArray.view(a, DType.FLOAT32, new int[] {4}, new int[] {1}, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.getFloat(0));
        assertTrue(e.getMessage().contains("fake:0"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Allocation.onDevice(FAKE, 1, 1, () -> { }).segment());
        assertThrows(IllegalArgumentException.class, () -> Allocation.onDevice(Device.CPU, 1, 1, () -> { }));
    }

    @Test
    void hostArraysSayTheyAreOnTheHost() {
        try (MemoryScope scope = MemoryScope.open()) {
            Allocation a = MemoryScope.allocate(16);
            assertEquals(Device.CPU, a.device());
            assertThrows(IllegalStateException.class, a::deviceAddress);
        }
    }
}
