package org.layerensembles.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Copies between host and device memory and within the device, and 32-bit fills, all enqueued
 * on the context's stream in order with the kernels. Host memory is a native
 * {@link MemorySegment}; device memory a {@code CUdeviceptr} ({@code long}).
 */
public final class CudaMemory {
    private final CudaContext context;

    CudaMemory(CudaContext context) {
        this.context = context;
    }

    /**
     * Copies {@code bytes} from {@code src} (from byte {@code srcOffsetBytes}) to device address
     * {@code dstPtr}. The driver has taken the host bytes when this returns (pageable memory is
     * staged), so {@code src} may be reused at once.
     */
    public void copyHostToDevice(MemorySegment src, long srcOffsetBytes, long dstPtr, long bytes) {
        MemorySegment from = hostRange("copyHostToDevice", src, srcOffsetBytes, bytes);
        if (bytes == 0) {
            return;
        }
        context.makeCurrent();
        context.driver().memcpyHtoDAsync(dstPtr, from, bytes, context.stream().handle());
    }

    /**
     * Copies {@code bytes} from device address {@code srcPtr} into {@code dst} (from byte
     * {@code dstOffsetBytes}) and waits for the stream, so {@code dst} holds them on return.
     */
    public void copyDeviceToHost(long srcPtr, MemorySegment dst, long dstOffsetBytes, long bytes) {
        MemorySegment to = hostRange("copyDeviceToHost", dst, dstOffsetBytes, bytes);
        if (bytes == 0) {
            return;
        }
        context.makeCurrent();
        context.driver().memcpyDtoHAsync(to, srcPtr, bytes, context.stream().handle());
        context.stream().synchronize();
    }

    /** Copies {@code bytes} between device addresses, in order with the stream's other work. */
    public void copyDeviceToDevice(long srcPtr, long dstPtr, long bytes) {
        if (bytes == 0) {
            return;
        }
        context.makeCurrent();
        context.driver().memcpyDtoDAsync(dstPtr, srcPtr, bytes, context.stream().handle());
    }

    /** Sets {@code count} 32-bit words from {@code dstPtr} to {@code value} (e.g. a float's bits). */
    public void memsetD32(long dstPtr, int value, long count) {
        if (count == 0) {
            return;
        }
        if ((dstPtr & 3) != 0) {
            throw new IllegalArgumentException("memsetD32: address 0x" + Long.toHexString(dstPtr)
                    + " is not 4-byte aligned");
        }
        context.makeCurrent();
        context.driver().memsetD32Async(dstPtr, value, count, context.stream().handle());
    }

    private static MemorySegment hostRange(String op, MemorySegment host, long offset, long bytes) {
        if (!host.isNative()) {
            throw new IllegalArgumentException(op + ": the host memory must be a native segment (off-heap), "
                    + "the driver cannot read a Java array");
        }
        if (offset < 0 || bytes < 0 || offset + bytes > host.byteSize()) {
            throw new IndexOutOfBoundsException(op + ": bytes [" + offset + ", " + (offset + bytes)
                    + ") outside a host segment of " + host.byteSize() + " bytes");
        }
        return host.asSlice(offset, bytes);
    }
}
