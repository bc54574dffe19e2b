package org.layerensembles.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The void** array cuLaunchKernel receives: one pointer per argument, each to its value's bytes. */
class KernelArgsTest {

    @Test
    void eachPointerLeadsToItsValueInItsOwnAlignedSlot() {
        KernelArgs args = KernelArgs.create().ptr(0x7f00_1234_5600L).i32(-7).i64(1L << 40).f32(1.5f).f64(-0.25);
        assertEquals(5, args.count());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = args.build(arena);
            assertEquals(5 * ADDRESS.byteSize(), params.byteSize());
            MemorySegment[] slot = new MemorySegment[5];
            for (int i = 0; i < 5; i++) {
                slot[i] = params.getAtIndex(ADDRESS, i).reinterpret(8);
                assertEquals(0, slot[i].address() % 8, "slot " + i + " is 8-byte aligned");
                if (i > 0) {
                    assertEquals(8, slot[i].address() - slot[i - 1].address(), "slots are consecutive");
                }
            }
            assertEquals(0x7f00_1234_5600L, slot[0].get(JAVA_LONG, 0));
            assertEquals(-7, slot[1].get(JAVA_INT, 0));
            assertEquals(1L << 40, slot[2].get(JAVA_LONG, 0));
            assertEquals(1.5f, slot[3].get(JAVA_FLOAT, 0));
            assertEquals(-0.25, slot[4].get(JAVA_DOUBLE, 0));
            // little-endian: an int's bytes are the slot's first four, as the kernel reads them
            assertEquals((byte) -7, slot[1].get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
            assertEquals(Float.floatToRawIntBits(1.5f), slot[3].get(JAVA_INT, 0));
        }
    }

    @Test
    void noArgumentsGiveANullArray() {
        try (Arena arena = Arena.ofConfined()) {
            assertSame(MemorySegment.NULL, KernelArgs.create().build(arena));
        }
    }

    @Test
    void manyArgumentsGrowTheBuilder() {
        KernelArgs args = KernelArgs.create();
        for (int i = 0; i < 40; i++) {
            args.i32(i);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = args.build(arena);
            for (int i = 0; i < 40; i++) {
                assertEquals(i, params.getAtIndex(ADDRESS, i).reinterpret(4).get(JAVA_INT, 0));
            }
        }
    }
}
