package org.layerensembles.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.layerensembles.core.NDArray;

/**
 * A kernel's arguments in order, as {@code cuLaunchKernel} wants them: an array of pointers
 * ({@code void**}), the i-th pointing at the i-th argument's value. Each value gets its own
 * 8-byte, 8-aligned slot (a 4-byte value in the slot's first bytes), which satisfies the
 * alignment of every parameter type used here.
 *
 * <pre>{@code
 * fill.launch(Grid.covering(n, 256), Block.of(256), 0,
 *         KernelArgs.create().ptr(out).i64(n).f32(1.5f));
 * }</pre>
 */
public final class KernelArgs {
    /** How a slot's 64 bits are written to native memory. */
    enum Kind { I32, I64, F32, F64 }

    private Kind[] kinds = new Kind[8];
    private long[] bits = new long[8];
    private int count;

    private KernelArgs() {
    }

    public static KernelArgs create() {
        return new KernelArgs();
    }

    private KernelArgs add(Kind kind, long value) {
        if (count == kinds.length) {
            kinds = Arrays.copyOf(kinds, 2 * count);
            bits = Arrays.copyOf(bits, 2 * count);
        }
        kinds[count] = kind;
        bits[count] = value;
        count++;
        return this;
    }

    /** A device pointer ({@code float*}, {@code const int*}, ...). */
    public KernelArgs ptr(long devicePtr) {
        return add(Kind.I64, devicePtr);
    }

    /** The device address of an array's first element (its allocation's address plus its offset). */
    public KernelArgs ptr(NDArray deviceArray) {
        return ptr(CudaArrays.address(deviceArray));
    }

    /** An {@code int} (or {@code unsigned int}). */
    public KernelArgs i32(int value) {
        return add(Kind.I32, value);
    }

    /** A {@code long long} (or {@code size_t}). */
    public KernelArgs i64(long value) {
        return add(Kind.I64, value);
    }

    public KernelArgs f32(float value) {
        return add(Kind.F32, Float.floatToRawIntBits(value));
    }

    public KernelArgs f64(double value) {
        return add(Kind.F64, Double.doubleToRawLongBits(value));
    }

    /** How many arguments have been added. */
    public int count() {
        return count;
    }

    /** How argument {@code i} is written; for tests that match arguments against a kernel's parameters. */
    Kind kind(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("argument " + i + " of " + count);
        }
        return kinds[i];
    }

    /**
     * Writes the values and the pointer array into {@code arena}; returns the {@code void**}
     * array ({@link MemorySegment#NULL} when there are no arguments). Valid while the arena is.
     */
    public MemorySegment build(Arena arena) {
        if (count == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment values = arena.allocate(8L * count, 8);
        MemorySegment pointers = arena.allocate(ADDRESS, count);
        for (int i = 0; i < count; i++) {
            long at = 8L * i;
            switch (kinds[i]) {
                case I32 -> values.set(JAVA_INT, at, (int) bits[i]);
                case F32 -> values.set(JAVA_FLOAT, at, Float.intBitsToFloat((int) bits[i]));
                case I64 -> values.set(JAVA_LONG, at, bits[i]);
                case F64 -> values.set(JAVA_DOUBLE, at, Double.longBitsToDouble(bits[i]));
            }
            pointers.setAtIndex(ADDRESS, i, values.asSlice(at, 8));
        }
        return pointers;
    }
}
