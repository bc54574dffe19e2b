package org.layerensembles.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.layerensembles.core.DType;
import org.layerensembles.core.Device;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.memory.Allocation;

/**
 * A {@link DeviceRuntime} without a GPU, for tests that run here: device arrays get made-up
 * addresses, copies and fills only have their ranges checked, and every launch is checked against
 * the kernel files: the module and kernel exist, the launch shape is legal, and (when the build
 * compiled PTX) the arguments match the kernel's parameters in number and type. Nothing is
 * computed; reads from the device return zeros.
 */
final class RecordingRuntime implements DeviceRuntime {
    static final Device DEVICE = new Device("cuda", 0);
    private static final long BASE = 1L << 40;

    /** One recorded launch. */
    record Launch(String module, String kernel, Grid grid, Block block, int sharedBytes, List<String> argKinds) {
    }

    private final TreeMap<Long, Long> allocations = new TreeMap<>(); // address -> bytes
    private final Map<String, Map<String, List<String>>> ptx = new HashMap<>();
    private final Map<String, List<String>> names = new HashMap<>();
    private final List<Launch> launches = new ArrayList<>();
    private long next = BASE;
    private int scratchInUse;
    private boolean ptxChecked;

    List<Launch> launches() {
        return launches;
    }

    /** Whether any launch was checked against PTX signatures (false when the build had no nvcc). */
    boolean ptxChecked() {
        return ptxChecked;
    }

    int scratchInUse() {
        return scratchInUse;
    }

    private long reserve(long bytes) {
        long address = next;
        allocations.put(address, bytes);
        next += Math.max(256, (bytes + 255) / 256 * 256);
        return address;
    }

    private void checkRange(String what, long address, long bytes) {
        Map.Entry<Long, Long> e = allocations.floorEntry(address);
        assertNotNull(e, what + ": address 0x" + Long.toHexString(address) + " is not device memory");
        assertTrue(address + bytes <= e.getKey() + e.getValue(), what + ": " + bytes + " bytes at 0x"
                + Long.toHexString(address) + " overrun an allocation of " + e.getValue() + " bytes");
    }

    @Override
    public Device device() {
        return DEVICE;
    }

    @Override
    public int multiprocessors() {
        return 132;
    }

    @Override
    public NDArray empty(DType dtype, int... shape) {
        int[] s = Shapes.validate("empty", shape);
        long bytes = Shapes.numel(s) * dtype.byteSize();
        Allocation memory = Allocation.onDevice(DEVICE, reserve(bytes), bytes, () -> { });
        return NDArray.view(memory, dtype, s, Shapes.contiguousStrides(s), 0);
    }

    @Override
    public NDArray toDevice(NDArray host) {
        return host.device().equals(DEVICE) ? host : empty(host.dtype(), host.shape());
    }

    @Override
    public NDArray toHost(NDArray device) {
        return NDArrays.zeros(device.dtype(), device.shape());
    }

    @Override
    public long allocate(long bytes) {
        scratchInUse++;
        return reserve(bytes);
    }

    @Override
    public void free(long address) {
        assertTrue(allocations.containsKey(address), "free of an unknown address");
        scratchInUse--;
    }

    @Override
    public void launch(String module, String kernel, Grid grid, Block block, int sharedBytes, KernelArgs args) {
        List<String> kinds = kinds(args);
        launches.add(new Launch(module, kernel, grid, block, sharedBytes, kinds));
        String where = module + "." + kernel;
        List<String> declared = names.computeIfAbsent(module, KernelSources::kernelNames);
        assertTrue(declared.contains(kernel), where + ": no such kernel in " + module + ".cu " + declared);
        assertTrue(block.threads() <= 1024, where + ": " + block.threads() + " threads per block");
        assertTrue(sharedBytes <= 48 * 1024, where + ": " + sharedBytes + " bytes of dynamic shared memory");
        Map<String, List<String>> signatures = ptx.computeIfAbsent(module, KernelSources::ptxSignatures);
        if (signatures == null) {
            return;
        }
        List<String> params = signatures.get(kernel);
        assertNotNull(params, where + ": not in the compiled PTX");
        assertEquals(params.size(), kinds.size(), where + ": " + kinds.size() + " arguments for " + params.size()
                + " parameters " + params + ", got " + kinds);
        for (int i = 0; i < params.size(); i++) {
            String expected = switch (params.get(i)) {
                case "u64", "s64", "b64" -> "I64";
                case "u32", "s32", "b32" -> "I32";
                case "f32" -> "F32";
                case "f64" -> "F64";
                default -> fail(where + ": parameter " + i + " has PTX type " + params.get(i));
            };
            assertEquals(expected, kinds.get(i), where + ": argument " + i + " (parameters " + params
                    + ", arguments " + kinds + ")");
        }
        ptxChecked = true;
    }

    /** The kinds of a KernelArgs' values, in order. */
    private static List<String> kinds(KernelArgs args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.count(); i++) {
            out.add(args.kind(i).toString());
        }
        return out;
    }

    @Override
    public void copyDeviceToDevice(long srcPtr, long dstPtr, long bytes) {
        checkRange("copyDeviceToDevice source", srcPtr, bytes);
        checkRange("copyDeviceToDevice destination", dstPtr, bytes);
    }

    @Override
    public void memsetD32(long dstPtr, int value, long count) {
        checkRange("memsetD32", dstPtr, 4 * count);
    }

    @Override
    public void copyHostToDevice(MemorySegment src, long dstPtr, long bytes) {
        assertTrue(src.byteSize() >= bytes, "copyHostToDevice: short host segment");
        checkRange("copyHostToDevice", dstPtr, bytes);
    }

    @Override
    public void copyDeviceToHost(long srcPtr, MemorySegment dst, long bytes) {
        checkRange("copyDeviceToHost", srcPtr, bytes);
        dst.asSlice(0, bytes).fill((byte) 0);
    }
}
