package org.layerensembles.cuda;

import java.lang.foreign.MemorySegment;
import org.layerensembles.core.DType;
import org.layerensembles.core.Device;
import org.layerensembles.core.NDArray;

/**
 * What {@link CudaBackend} needs from a device: memory, copies, and kernel launches by module and
 * name. {@link ContextRuntime} is the real one on a {@link CudaContext}; tests without a GPU put
 * a recording fake behind the backend, which checks every launch against the compiled kernels'
 * signatures.
 */
interface DeviceRuntime {
    /** The engine's device of this runtime's arrays, e.g. cuda:0. */
    Device device();

    /** Streaming multiprocessors, for sizing grid-stride launches. */
    int multiprocessors();

    /** A new contiguous device array in the current memory scope. */
    NDArray empty(DType dtype, int... shape);

    /** A contiguous device copy of a host array (an array already on this device as it is). */
    NDArray toDevice(NDArray host);

    /** A contiguous host copy of a device array, once the work before it has finished. */
    NDArray toHost(NDArray device);

    /** Device memory for temporaries, returned with {@link #free} right after the work using it is enqueued. */
    long allocate(long bytes);

    /** Returns memory from {@link #allocate}; later work on the stream may reuse it at once. */
    void free(long address);

    /** Enqueues kernel {@code kernel} of module {@code module} ({@code src/main/cuda/<module>.cu}). */
    void launch(String module, String kernel, Grid grid, Block block, int sharedBytes, KernelArgs args);

    void copyDeviceToDevice(long srcPtr, long dstPtr, long bytes);

    void memsetD32(long dstPtr, int value, long count);

    /** Copies host bytes to the device; {@code src} may be reused when this returns. */
    void copyHostToDevice(MemorySegment src, long dstPtr, long bytes);

    /** Copies device bytes to the host and waits for them. */
    void copyDeviceToHost(long srcPtr, MemorySegment dst, long bytes);
}
