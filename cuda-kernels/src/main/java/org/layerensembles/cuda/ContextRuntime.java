package org.layerensembles.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.layerensembles.core.DType;
import org.layerensembles.core.Device;
import org.layerensembles.core.NDArray;

/**
 * The {@link DeviceRuntime} of one {@link CudaContext}: its caching allocator, its stream's
 * copies, and its modules, each loaded the first time one of its kernels is launched.
 */
final class ContextRuntime implements DeviceRuntime {
    private final CudaContext context;
    private final CudaArrays arrays;
    private final Map<String, CudaModule> modules = new ConcurrentHashMap<>();
    private final Map<String, CudaFunction> functions = new ConcurrentHashMap<>();

    ContextRuntime(CudaContext context) {
        this.context = context;
        this.arrays = new CudaArrays(context);
    }

    CudaContext context() {
        return context;
    }

    @Override
    public Device device() {
        return context.engineDevice();
    }

    @Override
    public int multiprocessors() {
        return context.multiprocessorCount();
    }

    @Override
    public NDArray empty(DType dtype, int... shape) {
        return arrays.empty(dtype, shape);
    }

    @Override
    public NDArray toDevice(NDArray host) {
        return arrays.toDevice(host);
    }

    @Override
    public NDArray toHost(NDArray device) {
        return arrays.toHost(device);
    }

    @Override
    public long allocate(long bytes) {
        return context.allocator().allocate(bytes);
    }

    @Override
    public void free(long address) {
        context.allocator().free(address);
    }

    @Override
    public void launch(String module, String kernel, Grid grid, Block block, int sharedBytes, KernelArgs args) {
        CudaFunction f = functions.computeIfAbsent(module + "." + kernel,
                key -> modules.computeIfAbsent(module, m -> CudaModule.load(context, m)).function(kernel));
        f.launch(grid, block, sharedBytes, args);
    }

    @Override
    public void copyDeviceToDevice(long srcPtr, long dstPtr, long bytes) {
        context.memory().copyDeviceToDevice(srcPtr, dstPtr, bytes);
    }

    @Override
    public void memsetD32(long dstPtr, int value, long count) {
        context.memory().memsetD32(dstPtr, value, count);
    }

    @Override
    public void copyHostToDevice(MemorySegment src, long dstPtr, long bytes) {
        context.memory().copyHostToDevice(src, 0, dstPtr, bytes);
    }

    @Override
    public void copyDeviceToHost(long srcPtr, MemorySegment dst, long bytes) {
        context.memory().copyDeviceToHost(srcPtr, dst, 0, bytes);
    }
}
