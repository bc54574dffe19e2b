package org.layerensembles.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import org.layerensembles.core.Device;

/**
 * The memory behind one array (shared by all views of it). On the host: a pooled slab owned by
 * a {@link MemoryScope}, or, when no scope was open, memory the garbage collector frees. On an
 * accelerator: an address in the device's memory that a backend allocated, returned to that
 * backend's allocator when the owning scope closes (or the array becomes unreachable when no
 * scope was open). The host cannot read device memory: {@link #segment()} refuses it.
 */
public final class Allocation {
    private static final Cleaner DEVICE_CLEANER = Cleaner.create();

    private final Slab slab;
    private final int generation;
    private final MemorySegment segment;
    private final DeviceMemory deviceMemory;
    private MemoryScope owner;

    private Allocation(Slab slab, MemorySegment segment, DeviceMemory deviceMemory, MemoryScope owner) {
        this.slab = slab;
        this.generation = slab == null ? 0 : slab.generation;
        this.segment = segment;
        this.deviceMemory = deviceMemory;
        this.owner = owner;
    }

    static Allocation pooled(Slab slab, long bytes, MemoryScope owner) {
        return new Allocation(slab, slab.segment.asSlice(0, bytes), null, owner);
    }

    static Allocation garbageCollected(long bytes) {
        return new Allocation(null, Arena.ofAuto().allocate(Math.max(bytes, 1), MemoryPool.ALIGNMENT), null, null);
    }

    /**
     * Device memory at {@code address} ({@code bytes} long) on {@code device}, owned by the
     * current memory scope; {@code release} gives it back to the backend's allocator, exactly
     * once, when that scope closes. With no scope open, it is released once the allocation is
     * unreachable.
     */
    public static Allocation onDevice(Device device, long address, long bytes, Runnable release) {
        if (device.equals(Device.CPU)) {
            throw new IllegalArgumentException("onDevice: " + device + " is the host; use MemoryScope.allocate");
        }
        DeviceMemory memory = new DeviceMemory(device, address, bytes, release);
        MemoryScope scope = MemoryScope.current();
        Allocation a = new Allocation(null, null, memory, scope);
        if (scope == null) {
            DEVICE_CLEANER.register(a, memory::free);
        } else {
            scope.adopt(a);
        }
        return a;
    }

    /** Where the memory lives. */
    public Device device() {
        return deviceMemory == null ? Device.CPU : deviceMemory.device;
    }

    /**
     * The device address of accelerator memory, for the backend that owns it.
     *
     * @throws IllegalStateException for host memory, or device memory already released
     */
    public long deviceAddress() {
        if (deviceMemory == null) {
            throw new IllegalStateException("deviceAddress: this array lives in host memory");
        }
        if (deviceMemory.freed) {
            throw new IllegalStateException("array on " + deviceMemory.device + " used after its memory scope closed"
                    + (owner == null ? "" : " (scope '" + owner.name() + "')"));
        }
        return deviceMemory.address;
    }

    /** Whether the memory is still this allocation's (its scope is open, its pool not closed). */
    public boolean isAlive() {
        if (deviceMemory != null) {
            return !deviceMemory.freed;
        }
        return slab == null || slab.generation == generation;
    }

    /**
     * The memory, after checking it is still ours. Kernels call this once per array per call and
     * then work on the segment.
     *
     * @throws IllegalStateException when the owning scope has closed or the pool was closed
     */
    public MemorySegment segment() {
        if (deviceMemory != null) {
            throw new IllegalStateException("array lives on " + deviceMemory.device
                    + ": the host cannot read it; copy it to the host with its backend first");
        }
        if (slab != null && slab.generation != generation) {
            throw new IllegalStateException("array used after its memory scope closed"
                    + (owner == null ? "" : " (scope '" + owner.name() + "')")
                    + ": keep it with MemoryScope.keep(...) or create it in a longer-lived scope");
        }
        return segment;
    }

    public long byteSize() {
        return deviceMemory != null ? deviceMemory.bytes : segment.byteSize();
    }

    /** The scope that frees this memory, or null when the garbage collector does. */
    public MemoryScope owner() {
        return owner;
    }

    void setOwner(MemoryScope owner) {
        this.owner = owner;
    }

    /** Whether this is a pooled host slab (which only its own pool's scopes may own). */
    boolean isPooled() {
        return slab != null;
    }

    void free() {
        if (deviceMemory != null) {
            deviceMemory.free();
            return;
        }
        if (slab != null && slab.generation == generation) {
            slab.pool.release(slab);
        }
    }

    /** Device memory and its one-time release (no reference back to the Allocation: a Cleaner action). */
    private static final class DeviceMemory {
        final Device device;
        final long address;
        final long bytes;
        final Runnable release;
        volatile boolean freed;

        DeviceMemory(Device device, long address, long bytes, Runnable release) {
            this.device = device;
            this.address = address;
            this.bytes = bytes;
            this.release = release;
        }

        synchronized void free() {
            if (!freed) {
                freed = true;
                release.run();
            }
        }
    }
}
