package org.layerensembles.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** One kernel of a loaded {@link CudaModule}, launched on its context's stream. */
public final class CudaFunction {
    private final CudaContext context;
    private final String name;
    private final MemorySegment handle;

    CudaFunction(CudaContext context, String name, MemorySegment handle) {
        this.context = context;
        this.name = name;
        this.handle = handle;
    }

    /**
     * Enqueues the kernel; returns before it runs. The argument values are copied by the driver
     * during the call, so {@code args} may be reused.
     *
     * @param sharedBytes dynamic shared memory per block (above 48 KiB needs
     *                    {@link #setMaxDynamicSharedMemory} first)
     */
    public void launch(Grid grid, Block block, int sharedBytes, KernelArgs args) {
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            context.driver().launchKernel(handle, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                    sharedBytes, context.stream().handle(), args.build(arena));
        } catch (CudaException e) {
            throw e.during("launching " + name + " with grid " + grid + ", block " + block + ", " + sharedBytes
                    + " bytes of shared memory, " + args.count() + " arguments");
        }
    }

    /** Allows launches with up to {@code bytes} of dynamic shared memory per block. */
    public void setMaxDynamicSharedMemory(int bytes) {
        context.makeCurrent();
        context.driver().funcSetAttribute(handle, CudaDriver.FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /** module.kernel */
    public String name() {
        return name;
    }
}
