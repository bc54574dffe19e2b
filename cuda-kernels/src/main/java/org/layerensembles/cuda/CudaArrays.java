package org.layerensembles.cuda;

import org.layerensembles.core.DType;
import org.layerensembles.core.Device;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.memory.Allocation;

/**
 * Arrays in one device's memory: new ones from the context's caching allocator, owned by the
 * current memory scope like host arrays (closing the scope returns the block to the allocator),
 * and copies to and from the host.
 */
public final class CudaArrays {
    private final CudaContext context;

    public CudaArrays(CudaContext context) {
        this.context = context;
    }

    public CudaContext context() {
        return context;
    }

    /**
     * The device address of an array's first element: its allocation's address plus its offset.
     *
     * @throws IllegalStateException when the array lives on the host or its scope has closed
     */
    public static long address(NDArray deviceArray) {
        return deviceArray.allocation().deviceAddress() + deviceArray.offset() * deviceArray.dtype().byteSize();
    }

    /** A new contiguous device array with undefined contents, in the current memory scope. */
    public NDArray empty(DType dtype, int... shape) {
        int[] s = Shapes.validate("empty", shape);
        long bytes = Shapes.numel(s) * dtype.byteSize();
        CudaAllocator allocator = context.allocator();
        long address = allocator.allocate(bytes);
        Allocation memory;
        try {
            memory = Allocation.onDevice(context.engineDevice(), address, bytes, () -> allocator.free(address));
        } catch (RuntimeException e) {
            allocator.free(address);
            throw e;
        }
        return NDArray.view(memory, dtype, s, Shapes.contiguousStrides(s), 0);
    }

    /**
     * A contiguous device copy of a host array (any view), in the current memory scope; an array
     * already on this device is returned as it is.
     */
    public NDArray toDevice(NDArray host) {
        Device where = host.device();
        if (where.equals(context.engineDevice())) {
            return host;
        }
        if (!where.equals(Device.CPU)) {
            throw new IllegalArgumentException("toDevice: the array lives on " + where + ", not on the host; "
                    + "bring it to the host first");
        }
        NDArray c = host.contiguous();
        NDArray d = empty(c.dtype(), c.shape());
        context.memory().copyHostToDevice(c.segment(), c.offset() * c.dtype().byteSize(), address(d),
                c.numel() * c.dtype().byteSize());
        return d;
    }

    /**
     * A contiguous host copy of a device array (any view), in the current memory scope, once the
     * work enqueued before it has finished; a host array is returned as it is.
     */
    public NDArray toHost(NDArray device) {
        Device where = device.device();
        if (where.equals(Device.CPU)) {
            return device;
        }
        if (!where.equals(context.engineDevice())) {
            throw new IllegalArgumentException("toHost: the array lives on " + where + ", this is "
                    + context.engineDevice());
        }
        int elementBytes = device.dtype().byteSize();
        if (device.isContiguous()) {
            NDArray host = NDArrays.empty(device.dtype(), device.shape());
            context.memory().copyDeviceToHost(address(device), host.segment(), 0, device.numel() * elementBytes);
            return host;
        }
        // A strided view: bring the whole allocation over and take the same view of it on the host.
        long bytes = device.allocation().byteSize();
        NDArray whole = NDArrays.empty(device.dtype(), Math.toIntExact(bytes / elementBytes));
        context.memory().copyDeviceToHost(device.allocation().deviceAddress(), whole.segment(), 0, bytes);
        return NDArray.view(whole.allocation(), device.dtype(), device.shape(), device.strides(), device.offset())
                .contiguous();
    }
}
