package org.layerensembles.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.Shapes;

/**
 * The plumbing the CUDA op families share: device arrays, input checks, grid-stride launches,
 * strided copies, temporary device memory and the error flag of the indexing kernels.
 */
final class Gpu {
    /** Threads per block of the elementwise (grid-stride) kernels. */
    static final int THREADS = 256;
    /** Grid-stride launches use at most this many blocks per multiprocessor. */
    private static final int BLOCKS_PER_SM = 16;

    private final DeviceRuntime runtime;

    Gpu(DeviceRuntime runtime) {
        this.runtime = runtime;
    }

    DeviceRuntime runtime() {
        return runtime;
    }

    NDArray empty(DType dtype, int... shape) {
        return runtime.empty(dtype, shape);
    }

    /** The device address of an array's first element. */
    static long address(NDArray x) {
        return CudaArrays.address(x);
    }

    /**
     * Checks that {@code x} lives on this backend's device.
     *
     * @throws IllegalArgumentException naming the op and the argument otherwise
     */
    void require(String op, String what, NDArray x) {
        if (x == null) {
            return;
        }
        if (!x.device().equals(runtime.device())) {
            throw new IllegalArgumentException(op + ": " + what + " " + Shapes.str(x.shape()) + " lives on "
                    + x.device() + "; move it with CudaBackend.toDevice" + (x.device().kind().equals("cpu") ? ""
                    : " (this backend runs on " + runtime.device() + ")"));
        }
    }

    /**
     * An operand of a broadcasting op on this device: the array itself when it lives here; a
     * one-element host array (the scalars autograd and the layers build with
     * {@code NDArrays.scalar}) is copied to the device; anything else is refused as by
     * {@link #require}.
     */
    NDArray operand(String op, String what, NDArray x) {
        if (x != null && x.numel() == 1 && x.device().kind().equals("cpu")) {
            return runtime.toDevice(x.contiguous());
        }
        require(op, what, x);
        return x;
    }

    /** This array if contiguous, else a contiguous device copy (in the current scope). */
    NDArray contiguous(NDArray x) {
        if (x.isContiguous()) {
            return x;
        }
        NDArray c = empty(x.dtype(), x.shape());
        copyStrided(x, c);
        return c;
    }

    /** dst = src element by element (same shape, 4-byte elements), any layouts on the device. */
    void copyStrided(NDArray src, NDArray dst) {
        long n = src.numel();
        if (n == 0) {
            return;
        }
        if (src.isContiguous() && dst.isContiguous()) {
            runtime.copyDeviceToDevice(address(src), address(dst), n * 4);
            return;
        }
        StridedLayout l = StridedLayout.of("copy", src.shape(), src.strides(), dst.strides());
        launchElements("elementwise", "copy_strided", n,
                l.addTo(KernelArgs.create().ptr(address(src)).ptr(address(dst)).i32((int) n)));
    }

    void launch(String module, String kernel, Grid grid, Block block, int sharedBytes, KernelArgs args) {
        runtime.launch(module, kernel, grid, block, sharedBytes, args);
    }

    /** Launches a grid-stride kernel over n items ({@value #THREADS} threads per block); nothing for n = 0. */
    void launchElements(String module, String kernel, long n, KernelArgs args) {
        if (n == 0) {
            return;
        }
        long blocks = Math.min((n + THREADS - 1) / THREADS, (long) runtime.multiprocessors() * BLOCKS_PER_SM);
        runtime.launch(module, kernel, Grid.of((int) Math.max(1, blocks)), Block.of(THREADS), 0, args);
    }

    /** Temporary device memory, returned (stream-ordered) when closed. */
    Scratch scratch(long bytes) {
        return new Scratch(runtime, runtime.allocate(Math.max(bytes, 4)));
    }

    /** A block of temporary device memory. */
    static final class Scratch implements AutoCloseable {
        private final DeviceRuntime runtime;
        final long address;

        private Scratch(DeviceRuntime runtime, long address) {
            this.runtime = runtime;
            this.address = address;
        }

        @Override
        public void close() {
            runtime.free(address);
        }
    }

    /** The two ints {flag, value} at {@code address} (the indexing kernels' error record), read back. */
    int[] readError(long address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(8, 8);
            runtime.copyDeviceToHost(address, host, 8);
            return new int[] {host.getAtIndex(ValueLayout.JAVA_INT, 0), host.getAtIndex(ValueLayout.JAVA_INT, 1)};
        }
    }

    /** Doubles read back from the device. */
    double[] readDoubles(long address, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(8L * count, 8);
            runtime.copyDeviceToHost(address, host, 8L * count);
            return host.toArray(ValueLayout.JAVA_DOUBLE);
        }
    }

    /** Copies longs to device memory. */
    void writeLongs(long address, long[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(ValueLayout.JAVA_LONG, values);
            runtime.copyHostToDevice(host, address, 8L * values.length);
        }
    }
}
