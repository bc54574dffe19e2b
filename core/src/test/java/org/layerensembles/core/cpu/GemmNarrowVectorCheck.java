package org.layerensembles.core.cpu;

import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * Entry point run by {@link GemmTest} in a child JVM limited to 256-bit vectors: the GEMM checks
 * on shapes that take each of that machine's tiles (M = 2, 16, large; small N swapped), all four
 * transpose combinations, and 1-vs-2-thread identity. Prints {@code lanes=8 ok} and exits 0 when
 * all pass; a failure exits non-zero with its message.
 */
public final class GemmNarrowVectorCheck {
    private GemmNarrowVectorCheck() {
    }

    public static void main(String[] args) {
        Random rng = new Random(3);
        int[][] shapes = {{2, 300, 17}, {16, 257, 65}, {65, 63, 31}, {200, 7, 129}, {7, 513, 300}, {1, 1, 1},
                {31, 17, 257}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                GemmTest.Case.random(rng, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t == 1, t).check();
            }
        }
        GemmTest.Case c = GemmTest.Case.random(rng, 300, 400, 300, false, true, false, 1);
        Parallel.setThreads(1);
        float[] one = c.run(true);
        Parallel.setThreads(2);
        float[] two = c.run(true);
        for (int i = 0; i < one.length; i++) {
            if (Float.floatToRawIntBits(one[i]) != Float.floatToRawIntBits(two[i])) {
                throw new AssertionError("1 and 2 threads differ at " + i);
            }
        }
        System.out.println("tiles=" + GemmTile.AVAILABLE + " lanes=" + FloatVector.SPECIES_PREFERRED.length() + " ok");
        System.exit(0);
    }
}
