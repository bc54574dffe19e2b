package org.layerensembles.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A marker in a context's stream, for timing on the device: record one before and one after
 * some work, then {@link #elapsedMillis(CudaEvent, CudaEvent)}.
 */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment handle;
    private boolean closed;

    private CudaEvent(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    public static CudaEvent create(CudaContext context) {
        context.makeCurrent();
        return new CudaEvent(context, context.driver().eventCreate(CudaDriver.EVENT_DEFAULT));
    }

    /** Records the event at the current end of the context's stream. */
    public CudaEvent record() {
        context.makeCurrent();
        context.driver().eventRecord(handle, context.stream().handle());
        return this;
    }

    /** Waits until the stream has reached this event. */
    public void synchronize() {
        context.makeCurrent();
        context.driver().eventSynchronize(handle);
    }

    /** Milliseconds of device time from {@code start} to {@code end}; waits for {@code end}. */
    public static float elapsedMillis(CudaEvent start, CudaEvent end) {
        end.synchronize();
        return start.context.driver().eventElapsedTime(start.handle, end.handle);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            context.makeCurrent();
            context.driver().eventDestroy(handle);
        }
    }
}
