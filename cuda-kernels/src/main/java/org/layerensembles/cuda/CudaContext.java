package org.layerensembles.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.layerensembles.core.Device;

/**
 * One CUDA device as the engine uses it: the device's primary context, one non-blocking stream
 * that all of the engine's work goes to, a caching allocator and copies on that stream.
 *
 * <p>There is one {@code CudaContext} per device ordinal for the life of the JVM. Every method
 * that calls the driver first makes the primary context current on the calling thread (once per
 * thread), so any thread may use it.
 */
public final class CudaContext {
    private static final Map<Integer, CudaContext> CONTEXTS = new ConcurrentHashMap<>();
    private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

    private final CudaDriver driver;
    private final int ordinal;
    private final int deviceHandle;
    private final MemorySegment handle;
    private final String name;
    private final int ccMajor;
    private final int ccMinor;
    private final int multiprocessors;
    private final long totalMemory;
    private final CudaStream stream;
    private final CudaAllocator allocator;
    private final CudaMemory memory;

    private CudaContext(CudaDriver driver, int ordinal) {
        this.driver = driver;
        this.ordinal = ordinal;
        this.deviceHandle = driver.device(ordinal);
        this.name = driver.deviceName(deviceHandle);
        this.ccMajor = driver.deviceAttribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, deviceHandle);
        this.ccMinor = driver.deviceAttribute(CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, deviceHandle);
        this.multiprocessors = driver.deviceAttribute(CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT, deviceHandle);
        this.totalMemory = driver.deviceTotalMemory(deviceHandle);
        this.handle = driver.primaryContextRetain(deviceHandle);
        makeCurrent();
        this.stream = new CudaStream(this, driver.streamCreate(CudaDriver.STREAM_NON_BLOCKING));
        this.allocator = new CudaAllocator(new CudaAllocator.RawAllocator() {
            @Override
            public long allocate(long bytes) {
                makeCurrent();
                return driver.memAlloc(bytes);
            }

            @Override
            public void free(long address) {
                makeCurrent();
                driver.memFree(address);
            }

            @Override
            public void synchronize() {
                stream.synchronize();
            }
        });
        this.memory = new CudaMemory(this);
    }

    /**
     * The device with this ordinal (0 is the first GPU), its primary context retained.
     *
     * @throws IllegalStateException when there is no usable driver (naming the reason)
     * @throws IllegalArgumentException when no device has this ordinal
     */
    public static CudaContext device(int ordinal) {
        CudaDriver driver = CudaDriver.get();
        int count = driver.deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + ": this machine has " + count);
        }
        return CONTEXTS.computeIfAbsent(ordinal, o -> new CudaContext(driver, o));
    }

    /** Binds this context to the calling thread if it is not already. */
    public void makeCurrent() {
        if (CURRENT.get() != this) {
            driver.setCurrentContext(handle);
            CURRENT.set(this);
        }
    }

    /** Waits until all work enqueued on this context's stream has finished. */
    public void synchronize() {
        stream.synchronize();
    }

    CudaDriver driver() {
        return driver;
    }

    /** The engine's {@link Device} for arrays in this device's memory, e.g. {@code cuda:0}. */
    public Device engineDevice() {
        return new Device("cuda", ordinal);
    }

    public int ordinal() {
        return ordinal;
    }

    /** The CUcontext. */
    public MemorySegment handle() {
        return handle;
    }

    public String name() {
        return name;
    }

    public int computeCapabilityMajor() {
        return ccMajor;
    }

    public int computeCapabilityMinor() {
        return ccMinor;
    }

    /** Compute capability as 10*major + minor, e.g. 90 for Hopper. */
    public int computeCapability() {
        return 10 * ccMajor + ccMinor;
    }

    public int multiprocessorCount() {
        return multiprocessors;
    }

    /** Total device memory in bytes. */
    public long totalMemory() {
        return totalMemory;
    }

    /** The stream all of the engine's work on this device goes to. */
    public CudaStream stream() {
        return stream;
    }

    public CudaAllocator allocator() {
        return allocator;
    }

    public CudaMemory memory() {
        return memory;
    }

    @Override
    public String toString() {
        return engineDevice() + " (" + name + ", compute capability " + ccMajor + "." + ccMinor + ", "
                + multiprocessors + " SMs, " + (totalMemory >> 20) + " MiB)";
    }
}
