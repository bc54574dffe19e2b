package org.layerensembles.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The CUDA driver API ({@code libcuda.so.1}) through the Foreign Function &amp; Memory API, one
 * Java method per driver call, each CUresult checked ({@link CudaException}).
 *
 * <p>The library is loaded lazily, the first time anyone asks. Entry points are resolved with
 * {@code cuGetProcAddress_v2} (CUDA 12+) for the ABI of CUDA 12.0, so {@code cuMemAlloc} means
 * {@code cuMemAlloc_v2} and so on; on older drivers the versioned symbol names themselves are
 * looked up. The bare legacy names (the 32-bit-pointer ABI) are never used.
 *
 * <p>Types: {@code CUdevice} is an {@code int}, {@code CUdeviceptr} a {@code long}, and the
 * opaque handles (context, stream, module, function, event) are {@link MemorySegment}
 * addresses. Host pointers must be native segments.
 */
public final class CudaDriver {
    /** The CUDA version whose ABI we ask {@code cuGetProcAddress} for (12.0, as 1000*major + 10*minor). */
    static final int ABI_VERSION = 12000;
    /** {@code CU_GET_PROC_ADDRESS_LEGACY_STREAM}: not the per-thread-default-stream variants. */
    private static final long PROC_ADDRESS_LEGACY_STREAM = 1;
    private static final String LIBRARY = "libcuda.so.1";

    /** {@code CU_DEVICE_ATTRIBUTE_*} values from cuda.h. */
    public static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    /** {@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}. */
    public static final int FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    /** {@code CU_STREAM_NON_BLOCKING}: no implicit synchronisation with the legacy NULL stream. */
    public static final int STREAM_NON_BLOCKING = 1;
    /** {@code CU_EVENT_DEFAULT}. */
    public static final int EVENT_DEFAULT = 0;

    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuGetErrorString;
    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDeviceTotalMem;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuCtxSynchronize;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemGetInfo;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemcpyDtoDAsync;
    private final MethodHandle cuMemsetD32Async;
    private final MethodHandle cuModuleLoadData;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuFuncSetAttribute;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuEventDestroy;

    private CudaDriver(EntryPoints e) {
        cuGetErrorName = e.bind("cuGetErrorName", "cuGetErrorName", JAVA_INT, ADDRESS);
        cuGetErrorString = e.bind("cuGetErrorString", "cuGetErrorString", JAVA_INT, ADDRESS);
        cuInit = e.bind("cuInit", "cuInit", JAVA_INT);
        cuDriverGetVersion = e.bind("cuDriverGetVersion", "cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = e.bind("cuDeviceGetCount", "cuDeviceGetCount", ADDRESS);
        cuDeviceGet = e.bind("cuDeviceGet", "cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = e.bind("cuDeviceGetName", "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceGetAttribute = e.bind("cuDeviceGetAttribute", "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = e.bind("cuDeviceTotalMem", "cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRetain = e.bind("cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = e.bind("cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = e.bind("cuCtxSetCurrent", "cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = e.bind("cuCtxSynchronize", "cuCtxSynchronize");
        cuStreamCreate = e.bind("cuStreamCreate", "cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamSynchronize = e.bind("cuStreamSynchronize", "cuStreamSynchronize", ADDRESS);
        cuStreamDestroy = e.bind("cuStreamDestroy", "cuStreamDestroy_v2", ADDRESS);
        cuMemAlloc = e.bind("cuMemAlloc", "cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = e.bind("cuMemFree", "cuMemFree_v2", JAVA_LONG);
        cuMemGetInfo = e.bind("cuMemGetInfo", "cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuMemcpyHtoDAsync = e.bind("cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoHAsync = e.bind("cuMemcpyDtoHAsync", "cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemcpyDtoDAsync = e.bind("cuMemcpyDtoDAsync", "cuMemcpyDtoDAsync_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD32Async = e.bind("cuMemsetD32Async", "cuMemsetD32Async", JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS);
        cuModuleLoadData = e.bind("cuModuleLoadData", "cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleUnload = e.bind("cuModuleUnload", "cuModuleUnload", ADDRESS);
        cuModuleGetFunction = e.bind("cuModuleGetFunction", "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuFuncSetAttribute = e.bind("cuFuncSetAttribute", "cuFuncSetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuLaunchKernel = e.bind("cuLaunchKernel", "cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        cuEventCreate = e.bind("cuEventCreate", "cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = e.bind("cuEventRecord", "cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = e.bind("cuEventSynchronize", "cuEventSynchronize", ADDRESS);
        // cuda.h 12.8+ maps cuEventElapsedTime to _v2 (same signature); the 12.0 ABI gives the
        // original, which every driver since has kept.
        cuEventElapsedTime = e.bind("cuEventElapsedTime", "cuEventElapsedTime", ADDRESS, ADDRESS, ADDRESS);
        cuEventDestroy = e.bind("cuEventDestroy", "cuEventDestroy_v2", ADDRESS);
    }

    // ---- availability

    /** The outcome of loading the driver once: a driver, or the reason there is none. */
    private record Probe(CudaDriver driver, String reason) {
        static Probe run() {
            SymbolLookup library;
            try {
                library = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
            } catch (IllegalArgumentException e) {
                return new Probe(null, LIBRARY + " not found: no NVIDIA driver on this machine");
            }
            CudaDriver driver;
            try {
                driver = new CudaDriver(new EntryPoints(library));
            } catch (IllegalStateException e) {
                return new Probe(null, e.getMessage());
            } catch (RuntimeException e) { // e.g. native access refused: --enable-native-access missing
                return new Probe(null, "cannot bind " + LIBRARY + ": " + e);
            }
            try {
                driver.init();
                int count = driver.deviceCount();
                if (count == 0) {
                    return new Probe(null, "the NVIDIA driver reports no CUDA device");
                }
            } catch (CudaException e) {
                return new Probe(null, "the NVIDIA driver cannot start: " + e.getMessage());
            }
            return new Probe(driver, null);
        }
    }

    private static final class Holder {
        static final Probe PROBE = Probe.run();
    }

    /** Whether the driver loaded, initialised and sees at least one device. */
    public static boolean available() {
        return Holder.PROBE.driver != null;
    }

    /** Why {@link #available()} is false, or "CUDA is available" when it is true. */
    public static String unavailableReason() {
        return available() ? "CUDA is available" : Holder.PROBE.reason;
    }

    /**
     * The driver, initialised.
     *
     * @throws IllegalStateException naming the reason when there is none
     */
    public static CudaDriver get() {
        Probe p = Holder.PROBE;
        if (p.driver == null) {
            throw new IllegalStateException("CUDA is not available: " + p.reason);
        }
        return p.driver;
    }

    // ---- error checking

    private void check(String call, int result) {
        if (result != 0) {
            throw new CudaException(call, result, describe(cuGetErrorName, result, "unknown CUresult"),
                    describe(cuGetErrorString, result, "no description"));
        }
    }

    private static String describe(MethodHandle getter, int result, String fallback) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int r = (int) getter.invokeExact(result, out);
            MemorySegment str = out.get(ADDRESS, 0);
            return r != 0 || str.equals(MemorySegment.NULL) ? fallback : str.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return fallback;
        }
    }

    /** Calls a bound entry point; the driver's own failures arrive as the int result. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    // ---- initialisation and devices

    public void init() {
        try {
            check("cuInit", (int) cuInit.invokeExact(0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The driver's CUDA version, 1000*major + 10*minor. */
    public int driverVersion() {
        return intOut("cuDriverGetVersion", out -> (int) cuDriverGetVersion.invokeExact(out));
    }

    public int deviceCount() {
        return intOut("cuDeviceGetCount", out -> (int) cuDeviceGetCount.invokeExact(out));
    }

    /** The CUdevice handle of the device with this ordinal. */
    public int device(int ordinal) {
        return intOut("cuDeviceGet", out -> (int) cuDeviceGet.invokeExact(out, ordinal));
    }

    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            check("cuDeviceGetName", (int) cuDeviceGetName.invokeExact(name, 256, device));
            return name.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A {@code CU_DEVICE_ATTRIBUTE_*} value, e.g. {@link #ATTRIBUTE_MULTIPROCESSOR_COUNT}. */
    public int deviceAttribute(int attribute, int device) {
        return intOut("cuDeviceGetAttribute",
                out -> (int) cuDeviceGetAttribute.invokeExact(out, attribute, device));
    }

    /** Total device memory in bytes. */
    public long deviceTotalMemory(int device) {
        return longOut("cuDeviceTotalMem_v2", out -> (int) cuDeviceTotalMem.invokeExact(out, device));
    }

    // ---- contexts and streams

    /** Retains the device's primary context and returns its CUcontext. */
    public MemorySegment primaryContextRetain(int device) {
        return addressOut("cuDevicePrimaryCtxRetain", out -> (int) cuDevicePrimaryCtxRetain.invokeExact(out, device));
    }

    public void primaryContextRelease(int device) {
        try {
            check("cuDevicePrimaryCtxRelease_v2", (int) cuDevicePrimaryCtxRelease.invokeExact(device));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Binds a context to the calling thread. */
    public void setCurrentContext(MemorySegment context) {
        try {
            check("cuCtxSetCurrent", (int) cuCtxSetCurrent.invokeExact(context));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for all work in the calling thread's current context. */
    public void contextSynchronize() {
        try {
            check("cuCtxSynchronize", (int) cuCtxSynchronize.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A new stream in the current context; flags e.g. {@link #STREAM_NON_BLOCKING}. */
    public MemorySegment streamCreate(int flags) {
        return addressOut("cuStreamCreate", out -> (int) cuStreamCreate.invokeExact(out, flags));
    }

    public void streamSynchronize(MemorySegment stream) {
        try {
            check("cuStreamSynchronize", (int) cuStreamSynchronize.invokeExact(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void streamDestroy(MemorySegment stream) {
        try {
            check("cuStreamDestroy_v2", (int) cuStreamDestroy.invokeExact(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- memory

    /** Allocates device memory (256-byte aligned) in the current context. */
    public long memAlloc(long bytes) {
        return longOut("cuMemAlloc_v2", out -> (int) cuMemAlloc.invokeExact(out, bytes));
    }

    public void memFree(long devicePtr) {
        try {
            check("cuMemFree_v2", (int) cuMemFree.invokeExact(devicePtr));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {free, total} device memory in bytes, for the current context's device. */
    public long[] memGetInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            check("cuMemGetInfo_v2", (int) cuMemGetInfo.invokeExact(free, total));
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Host to device on a stream; {@code src} is a native segment starting at the first byte. */
    public void memcpyHtoDAsync(long dstDevice, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyHtoDAsync_v2", (int) cuMemcpyHtoDAsync.invokeExact(dstDevice, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Device to host on a stream; the host memory is written when the stream reaches the copy. */
    public void memcpyDtoHAsync(MemorySegment dst, long srcDevice, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyDtoHAsync_v2", (int) cuMemcpyDtoHAsync.invokeExact(dst, srcDevice, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void memcpyDtoDAsync(long dstDevice, long srcDevice, long bytes, MemorySegment stream) {
        try {
            check("cuMemcpyDtoDAsync_v2", (int) cuMemcpyDtoDAsync.invokeExact(dstDevice, srcDevice, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets {@code count} 32-bit words to {@code value}; {@code dstDevice} 4-byte aligned. */
    public void memsetD32Async(long dstDevice, int value, long count, MemorySegment stream) {
        try {
            check("cuMemsetD32Async", (int) cuMemsetD32Async.invokeExact(dstDevice, value, count, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- modules and kernels

    /** Loads a cubin or a NUL-terminated PTX image held in native memory; returns the CUmodule. */
    public MemorySegment moduleLoadData(MemorySegment image) {
        return addressOut("cuModuleLoadData", out -> (int) cuModuleLoadData.invokeExact(out, image));
    }

    public void moduleUnload(MemorySegment module) {
        try {
            check("cuModuleUnload", (int) cuModuleUnload.invokeExact(module));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The CUfunction of an {@code extern "C"} kernel in a module. */
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cName = arena.allocateFrom(name);
            MemorySegment out = arena.allocate(ADDRESS);
            check("cuModuleGetFunction(" + name + ")", (int) cuModuleGetFunction.invokeExact(out, module, cName));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A {@code CU_FUNC_ATTRIBUTE_*}, e.g. {@link #FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}. */
    public void funcSetAttribute(MemorySegment function, int attribute, int value) {
        try {
            check("cuFuncSetAttribute", (int) cuFuncSetAttribute.invokeExact(function, attribute, value));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Enqueues a kernel on a stream. {@code kernelParams} is the {@code void**} array built by
     * {@link KernelArgs} (or NULL for a kernel without parameters).
     */
    public void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY,
                             int blockZ, int sharedMemBytes, MemorySegment stream, MemorySegment kernelParams) {
        try {
            check("cuLaunchKernel", (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY,
                    blockZ, sharedMemBytes, stream, kernelParams, MemorySegment.NULL));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- events

    public MemorySegment eventCreate(int flags) {
        return addressOut("cuEventCreate", out -> (int) cuEventCreate.invokeExact(out, flags));
    }

    public void eventRecord(MemorySegment event, MemorySegment stream) {
        try {
            check("cuEventRecord", (int) cuEventRecord.invokeExact(event, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void eventSynchronize(MemorySegment event) {
        try {
            check("cuEventSynchronize", (int) cuEventSynchronize.invokeExact(event));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Milliseconds between two recorded, completed events (about 0.5 µs resolution). */
    public float eventElapsedTime(MemorySegment start, MemorySegment end) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_FLOAT);
            check("cuEventElapsedTime", (int) cuEventElapsedTime.invokeExact(out, start, end));
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void eventDestroy(MemorySegment event) {
        try {
            check("cuEventDestroy_v2", (int) cuEventDestroy.invokeExact(event));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- out-parameter helpers

    @FunctionalInterface
    private interface NativeCall {
        int call(MemorySegment out) throws Throwable;
    }

    private int intOut(String name, NativeCall c) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check(name, c.call(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private long longOut(String name, NativeCall c) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            check(name, c.call(out));
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private MemorySegment addressOut(String name, NativeCall c) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            check(name, c.call(out));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Finds driver entry points: through {@code cuGetProcAddress_v2} when the driver has it
     * (CUDA 12+), else by their versioned symbol names. Every call returns an int CUresult.
     */
    private static final class EntryPoints {
        private static final Linker LINKER = Linker.nativeLinker();
        private final SymbolLookup library;
        private final MethodHandle getProcAddress;

        EntryPoints(SymbolLookup library) {
            this.library = library;
            Optional<MemorySegment> gpa = library.find("cuGetProcAddress_v2");
            // CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion,
            //                              cuuint64_t flags, CUdriverProcAddressQueryResult *symbolStatus)
            this.getProcAddress = gpa.map(a -> LINKER.downcallHandle(a, FunctionDescriptor.of(JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS))).orElse(null);
        }

        MethodHandle bind(String baseName, String versionedName, java.lang.foreign.MemoryLayout... args) {
            MemorySegment address = getProcAddress != null ? viaProcAddress(baseName) : library.find(versionedName)
                    .orElseThrow(() -> new IllegalStateException(LIBRARY + " has no entry point " + versionedName
                            + ": the NVIDIA driver is too old"));
            return LINKER.downcallHandle(address, FunctionDescriptor.of(JAVA_INT, args));
        }

        private MemorySegment viaProcAddress(String baseName) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment pfn = arena.allocate(ADDRESS);
                MemorySegment status = arena.allocate(JAVA_INT);
                int r = (int) getProcAddress.invokeExact(arena.allocateFrom(baseName), pfn, ABI_VERSION,
                        PROC_ADDRESS_LEGACY_STREAM, status);
                MemorySegment address = pfn.get(ADDRESS, 0);
                if (r != 0 || address.equals(MemorySegment.NULL)) {
                    throw new IllegalStateException("cuGetProcAddress_v2(" + baseName + ", " + ABI_VERSION
                            + ") found no entry point (CUresult " + r + ", symbolStatus " + status.get(JAVA_INT, 0)
                            + "): the NVIDIA driver is too old or broken");
                }
                return address;
            } catch (IllegalStateException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("cuGetProcAddress_v2(" + baseName + ") failed: " + t, t);
            }
        }
    }
}
