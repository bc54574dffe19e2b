package org.layerensembles.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DistanceTransformTest {
    /** min over true elements of Σ_a (spacing_a Δ_a)², by brute force. */
    static double[] bruteSquared(boolean[] mask, int[] dims, double[] spacing) {
        int n = mask.length;
        int[][] coords = new int[n][];
        for (int i = 0; i < n; i++) {
            coords[i] = coordinates(i, dims);
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (mask[j]) {
                    double d = 0;
                    for (int a = 0; a < dims.length; a++) {
                        double t = spacing[a] * (coords[i][a] - coords[j][a]);
                        d += t * t;
                    }
                    best = Math.min(best, d);
                }
            }
            out[i] = best;
        }
        return out;
    }

    static int[] coordinates(int index, int[] dims) {
        int[] c = new int[dims.length];
        for (int a = dims.length - 1; a >= 0; a--) {
            c[a] = index % dims[a];
            index /= dims[a];
        }
        return c;
    }

    static boolean[] randomMask(SplittableRandom rng, int n, double density) {
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) {
            m[i] = rng.nextDouble() < density;
        }
        return m;
    }

    @Test
    void handComputed2dAnisotropic() {
        // 3 x 4 grid, one true element at (1, 2); spacing sy = 2, sx = 0.5
        boolean[] mask = new boolean[12];
        mask[1 * 4 + 2] = true;
        double[] d2 = DistanceTransform.squared(mask, new int[] {3, 4}, new double[] {2.0, 0.5});
        // (0, 0): dy = 1 -> 4, dx = 2 -> 1: 5
        assertEquals(5.0, d2[0], 0);
        assertEquals(0.0, d2[6], 0);
        assertEquals(0.25, d2[7], 0); // (1, 3)
        assertEquals(4.0 + 0.25, d2[2 * 4 + 3], 0); // (2, 3)
        double[] d = DistanceTransform.distance(mask, new int[] {3, 4}, new double[] {2.0, 0.5});
        assertEquals(Math.sqrt(5.0), d[0], 0);
    }

    @Test
    void handComputed3d() {
        // 2 x 2 x 3 grid, true at (0, 0, 0); spacing (3, 2, 1)
        boolean[] mask = new boolean[12];
        mask[0] = true;
        double[] d2 = DistanceTransform.squared(mask, new int[] {2, 2, 3}, new double[] {3, 2, 1});
        // (1, 1, 2): 9 + 4 + 4
        assertEquals(17.0, d2[11], 0);
        assertEquals(9.0, d2[6], 0); // (1, 0, 0)
        assertEquals(4.0 + 1.0, d2[4], 0); // (0, 1, 1)
    }

    @Test
    void emptyAndFullMasks() {
        double[] none = DistanceTransform.squared(new boolean[20], new int[] {4, 5}, new double[] {1, 1});
        for (double v : none) {
            assertEquals(Double.POSITIVE_INFINITY, v);
        }
        boolean[] full = new boolean[24];
        java.util.Arrays.fill(full, true);
        for (double v : DistanceTransform.squared(full, new int[] {2, 3, 4}, new double[] {1, 2, 3})) {
            assertEquals(0.0, v);
        }
    }

    @Test
    void matchesBruteForceOnRandomMasks() {
        SplittableRandom rng = new SplittableRandom(20240611L);
        int cases = 0;
        for (int trial = 0; trial < 60; trial++) {
            boolean threeD = trial % 2 == 1;
            int[] dims = threeD
                    ? new int[] {1 + rng.nextInt(6), 1 + rng.nextInt(7), 1 + rng.nextInt(8)}
                    : new int[] {1 + rng.nextInt(14), 1 + rng.nextInt(17)};
            double[] spacing = new double[dims.length];
            for (int a = 0; a < dims.length; a++) {
                spacing[a] = 0.2 + 3 * rng.nextDouble();
            }
            int n = 1;
            for (int d : dims) {
                n *= d;
            }
            double density = new double[] {0.0, 0.02, 0.1, 0.4, 0.9}[trial % 5];
            boolean[] mask = randomMask(rng, n, density);
            double[] expected = bruteSquared(mask, dims, spacing);
            double[] actual = DistanceTransform.squared(mask, dims, spacing);
            for (int i = 0; i < n; i++) {
                if (Double.isInfinite(expected[i])) {
                    assertEquals(expected[i], actual[i]);
                } else {
                    assertEquals(expected[i], actual[i], 1e-9 * Math.max(1, expected[i]), "trial " + trial + " element " + i);
                }
            }
            cases++;
        }
        assertTrue(cases == 60);
    }

    @Test
    void rejectsBadGrids() {
        assertThrows(IllegalArgumentException.class,
                () -> DistanceTransform.squared(new boolean[6], new int[] {2, 4}, new double[] {1, 1}));
        assertThrows(IllegalArgumentException.class,
                () -> DistanceTransform.squared(new boolean[8], new int[] {2, 4}, new double[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> DistanceTransform.squared(new boolean[8], new int[] {2, 4}, new double[] {1, 0}));
    }
}
