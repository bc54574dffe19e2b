package org.layerensembles.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OverlapTest {
    private static boolean[] m(int... bits) {
        boolean[] out = new boolean[bits.length];
        for (int i = 0; i < bits.length; i++) {
            out[i] = bits[i] != 0;
        }
        return out;
    }

    @Test
    void handComputedDice() {
        // |A| = 3, |B| = 2, |A∩B| = 1 -> 2/5
        assertEquals(0.4, Overlap.dice(m(1, 1, 1, 0, 0), m(0, 0, 1, 1, 0), true), 0);
        // identical -> 1, disjoint -> 0
        assertEquals(1.0, Overlap.dice(m(0, 1, 1), m(0, 1, 1), false), 0);
        assertEquals(0.0, Overlap.dice(m(1, 0, 0), m(0, 1, 0), true), 0);
        // |A| = 4, |B| = 2, both 2 -> 4/6
        assertEquals(2.0 / 3.0, Overlap.dice(m(1, 1, 1, 1), m(0, 1, 1, 0)), 1e-15);
        assertEquals(2.0 / 3.0, Overlap.dice(2, 4, 2, true), 1e-15);
    }

    @Test
    void emptyMaskConventions() {
        boolean[] empty = new boolean[6];
        assertEquals(1.0, Overlap.dice(empty, empty, true), 0);
        assertEquals(0.0, Overlap.dice(empty, empty, false), 0, "the original's convention");
        assertEquals(1.0, Overlap.dice(empty, empty), 0, "project default");
        // one empty: 0 under both conventions
        assertEquals(0.0, Overlap.dice(empty, m(1, 0, 0, 0, 0, 0), true), 0);
        assertEquals(0.0, Overlap.dice(m(1, 0, 0, 0, 0, 0), empty, false), 0);
        assertEquals(1.0, Overlap.dice(0, 0, 0, true), 0);
        assertEquals(0.0, Overlap.dice(0, 0, 0, false), 0);
    }

    @Test
    void masksFromLabels() {
        int[] labels = {0, 1, 2, 3, 2, 0};
        assertArrayEquals(m(0, 1, 1, 1, 1, 0), Overlap.foreground(labels));
        assertArrayEquals(m(0, 0, 1, 0, 1, 0), Overlap.classMask(labels, 2));
        assertArrayEquals(m(1, 0, 0, 0, 0, 1), Overlap.classMask(labels, 0));
    }

    @Test
    void rejectsMismatchedInputs() {
        assertThrows(IllegalArgumentException.class, () -> Overlap.dice(new boolean[3], new boolean[4], true));
        assertThrows(IllegalArgumentException.class, () -> Overlap.dice(3, 2, 5, true));
    }
}
