package org.layerensembles.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A CUDA stream: work enqueued on it runs in order. The backend uses one per context, so
 * memory freed after a kernel on it can be reused by the next kernel on it without waiting.
 */
public final class CudaStream {
    private final CudaContext context;
    private final MemorySegment handle;

    CudaStream(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    /** The CUstream, for driver calls. */
    public MemorySegment handle() {
        return handle;
    }

    /** Waits until everything enqueued so far has finished. */
    public void synchronize() {
        context.makeCurrent();
        context.driver().streamSynchronize(handle);
    }
}
