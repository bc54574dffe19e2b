package org.layerensembles.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SurfaceDistanceTest {
    private static final double TOL = 1e-12;

    private static boolean[] box(int[] dims, int[] from, int[] to) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) {
            int[] c = DistanceTransformTest.coordinates(i, dims);
            boolean in = true;
            for (int a = 0; a < dims.length; a++) {
                in &= c[a] >= from[a] && c[a] <= to[a];
            }
            m[i] = in;
        }
        return m;
    }

    private static void assertDistances(double hd, double hd95, double mhd, SurfaceDistances actual) {
        assertEquals(hd, actual.hd(), TOL, "HD");
        assertEquals(hd95, actual.hd95(), TOL, "HD95");
        assertEquals(mhd, actual.mhd(), TOL, "MHD");
    }

    @Test
    void oneRowWithInterpolatedPercentile() {
        // 1 x 10 grid, spacing (1, 0.5): every element is surface (height 1, outside = background)
        int[] dims = {1, 10};
        boolean[] pred = box(dims, new int[] {0, 0}, new int[] {0, 2});
        boolean[] gt = box(dims, new int[] {0, 0}, new int[] {0, 6});
        // pred -> gt: all 0. gt -> pred: 0,0,0,0.5,1,1.5,2; P95: h = 5.7 -> 1.5 + 0.7 * 0.5 = 1.85
        // MHD: max(0, (0.5 + 1 + 1.5 + 2) / 7)
        SurfaceDistances d = SurfaceDistance.compute(pred, gt, dims, new double[] {1, 0.5});
        assertDistances(2.0, 1.85, 5.0 / 7.0, d);
        // symmetric in its arguments
        assertDistances(2.0, 1.85, 5.0 / 7.0, SurfaceDistance.compute(gt, pred, dims, new double[] {1, 0.5}));
    }

    @Test
    void squareAgainstItsCentreIsotropicAndAnisotropic() {
        int[] dims = {5, 5};
        boolean[] gt = box(dims, new int[] {1, 1}, new int[] {3, 3}); // surface: the 8-element ring
        boolean[] pred = box(dims, new int[] {2, 2}, new int[] {2, 2});
        double r2 = Math.sqrt(2);
        // unit spacing: centre -> ring 1; ring -> centre: 1 (x4), sqrt2 (x4); P95 at h = 6.65 -> sqrt2
        // MHD over all points: pred inside gt -> 0; gt -> pred: (4 + 4 sqrt2) / 9
        assertDistances(r2, r2, (4 + 4 * r2) / 9, SurfaceDistance.compute(pred, gt, dims, new double[] {1, 1}));
        // spacing sy = 2, sx = 0.5: centre -> ring 0.5; ring -> centre: 0.5, 0.5, 2, 2, sqrt(4.25) x4
        double c = Math.sqrt(4.25);
        assertDistances(c, c, (0.5 * 2 + 2 * 2 + 4 * c) / 9,
                SurfaceDistance.compute2d(pred, gt, 5, 5, 2.0, 0.5));
    }

    @Test
    void distancesGoToTheOtherSurfaceNotTheOtherMask() {
        // pred = 5x5 whole grid (its surface is the border ring of 16), gt = centred 3x3 (ring of 8)
        int[] dims = {5, 5};
        boolean[] pred = box(dims, new int[] {0, 0}, new int[] {4, 4});
        boolean[] gt = box(dims, new int[] {1, 1}, new int[] {3, 3});
        // pred ring -> gt ring: edges' middles 1 (12 points at distance 1), corners sqrt2 (4)
        // gt ring -> pred ring: 1 for all 8 (each ring point is next to the border)
        // sorted pred->gt: 12 x 1, 4 x sqrt2; h = 0.95 * 15 = 14.25 -> sqrt2
        // MHD: gt inside pred -> 0; pred -> gt over all 25: 16 ring points (12 x 1, 4 x sqrt2), 9 inside 0
        double r2 = Math.sqrt(2);
        assertDistances(r2, r2, (12 + 4 * r2) / 25, SurfaceDistance.compute(pred, gt, dims, new double[] {1, 1}));
    }

    @Test
    void cubeAgainstItsCentre3dAnisotropic() {
        int[] dims = {3, 3, 3};
        double[] spacing = {3, 1, 1};
        boolean[] gt = box(dims, new int[] {0, 0, 0}, new int[] {2, 2, 2}); // surface: all but the centre
        boolean[] pred = box(dims, new int[] {1, 1, 1}, new int[] {1, 1, 1});
        // gt surface -> centre: dz = 0: 4 x 1, 4 x sqrt2; dz = ±1: 2 x 3, 8 x sqrt10, 8 x sqrt11
        double hd = Math.sqrt(11);
        double mhd = (4 + 4 * Math.sqrt(2) + 2 * 3 + 8 * Math.sqrt(10) + 8 * Math.sqrt(11)) / 27;
        assertDistances(hd, hd, mhd, SurfaceDistance.compute(pred, gt, dims, spacing));
        assertEquals(26, count(SurfaceDistance.surface(gt, dims)));
    }

    @Test
    void erosionIsFourAndSixConnected() {
        // a plus shape: its centre has all axis neighbours, but not the diagonal ones
        int[] d2 = {3, 3};
        boolean[] plus2 = new boolean[9];
        for (int i : new int[] {1, 3, 4, 5, 7}) {
            plus2[i] = true;
        }
        boolean[] s2 = SurfaceDistance.surface(plus2, d2);
        assertFalse(s2[4], "centre of a 2-D plus is interior under 4-connectivity");
        assertEquals(4, count(s2));
        int[] d3 = {3, 3, 3};
        boolean[] plus3 = new boolean[27];
        for (int i : new int[] {4, 10, 12, 13, 14, 16, 22}) {
            plus3[i] = true;
        }
        boolean[] s3 = SurfaceDistance.surface(plus3, d3);
        assertFalse(s3[13], "centre of a 3-D plus is interior under 6-connectivity");
        assertEquals(6, count(s3));
    }

    @Test
    void emptyMaskConventions() {
        int[] dims = {4, 4};
        double[] sp = {0.7, 1.3};
        boolean[] empty = new boolean[16];
        boolean[] one = new boolean[16];
        one[5] = true;
        assertEquals(SurfaceDistances.BOTH_EMPTY, SurfaceDistance.compute(empty, empty, dims, sp));
        assertDistances(0, 0, 0, SurfaceDistance.compute(empty, empty, dims, sp));
        SurfaceDistances a = SurfaceDistance.compute(one, empty, dims, sp);
        SurfaceDistances b = SurfaceDistance.compute(empty, one, dims, sp);
        for (SurfaceDistances d : List.of(a, b)) {
            assertEquals(Double.POSITIVE_INFINITY, d.hd());
            assertEquals(Double.POSITIVE_INFINITY, d.hd95());
            assertEquals(Double.POSITIVE_INFINITY, d.mhd());
            assertFalse(d.isFinite());
        }
        assertEquals(SurfaceDistances.BOTH_EMPTY, SurfaceDistance.compute(empty, empty, new int[] {2, 2, 4},
                new double[] {1, 1, 1}));
        assertTrue(SurfaceDistance.compute(one, one, dims, sp).isFinite());
        assertDistances(0, 0, 0, SurfaceDistance.compute(one, one, dims, sp));
    }

    @Test
    void numpyPercentileValues() {
        // values np.percentile(x, 95) gives
        assertEquals(3.85, SurfaceDistance.percentileSorted(new double[] {1, 2, 3, 4}, 95), 1e-12);
        assertEquals(9.5, SurfaceDistance.percentileSorted(new double[] {0, 10}, 95), 1e-12);
        assertEquals(9.55, SurfaceDistance.percentileSorted(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95), 1e-12);
        assertEquals(7.0, SurfaceDistance.percentileSorted(new double[] {7}, 95), 0);
        assertEquals(2.5, SurfaceDistance.percentileSorted(new double[] {1, 2, 3, 4}, 50), 1e-12);
        assertEquals(4.0, SurfaceDistance.percentileSorted(new double[] {1, 2, 3, 4}, 100), 0);
    }

    // ---- brute-force reference: own erosion, O(n^2) pairwise distances

    private static boolean[] bruteSurface(boolean[] m, int[] dims) {
        boolean[] out = new boolean[m.length];
        for (int i = 0; i < m.length; i++) {
            if (!m[i]) {
                continue;
            }
            int[] c = DistanceTransformTest.coordinates(i, dims);
            boolean interior = true;
            for (int a = 0; a < dims.length; a++) {
                for (int step : new int[] {-1, 1}) {
                    int[] nb = c.clone();
                    nb[a] += step;
                    interior &= nb[a] >= 0 && nb[a] < dims[a] && m[index(nb, dims)];
                }
            }
            out[i] = !interior;
        }
        return out;
    }

    private static int index(int[] c, int[] dims) {
        int i = 0;
        for (int a = 0; a < dims.length; a++) {
            i = i * dims[a] + c[a];
        }
        return i;
    }

    /** For each element of {@code from} (index order), its distance to the nearest element of {@code to}. */
    private static double[] directed(boolean[] from, boolean[] to, int[] dims, double[] sp) {
        List<int[]> targets = new ArrayList<>();
        for (int j = 0; j < to.length; j++) {
            if (to[j]) {
                targets.add(DistanceTransformTest.coordinates(j, dims));
            }
        }
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < from.length; i++) {
            if (!from[i]) {
                continue;
            }
            int[] c = DistanceTransformTest.coordinates(i, dims);
            double best = Double.POSITIVE_INFINITY;
            for (int[] t : targets) {
                double s = 0;
                for (int a = 0; a < dims.length; a++) {
                    double d = sp[a] * (c[a] - t[a]);
                    s += d * d;
                }
                best = Math.min(best, Math.sqrt(s));
            }
            out.add(best);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double numpyP95(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        double h = 0.95 * (s.length - 1);
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (h - lo) * (s[hi] - s[lo]);
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static SurfaceDistances brute(boolean[] a, boolean[] b, int[] dims, double[] sp) {
        if (count(a) == 0 && count(b) == 0) {
            return new SurfaceDistances(0, 0, 0);
        }
        if (count(a) == 0 || count(b) == 0) {
            double inf = Double.POSITIVE_INFINITY;
            return new SurfaceDistances(inf, inf, inf);
        }
        boolean[] sa = bruteSurface(a, dims);
        boolean[] sb = bruteSurface(b, dims);
        double[] ab = directed(sa, sb, dims, sp);
        double[] ba = directed(sb, sa, dims, sp);
        double hd = Math.max(max(ab), max(ba));
        double hd95 = Math.max(numpyP95(ab), numpyP95(ba));
        double mhd = Math.max(mean(directed(b, a, dims, sp)), mean(directed(a, b, dims, sp)));
        return new SurfaceDistances(hd, hd95, mhd);
    }

    @Test
    void matchesPairwiseBruteForceOnRandomMasks() {
        SplittableRandom rng = new SplittableRandom(7L);
        for (int trial = 0; trial < 80; trial++) {
            boolean threeD = trial % 2 == 1;
            int[] dims = threeD
                    ? new int[] {1 + rng.nextInt(6), 2 + rng.nextInt(7), 2 + rng.nextInt(8)}
                    : new int[] {1 + rng.nextInt(16), 1 + rng.nextInt(18)};
            double[] sp = new double[dims.length];
            for (int a = 0; a < dims.length; a++) {
                sp[a] = trial % 5 == 0 ? 1.0 : 0.25 + 2.5 * rng.nextDouble();
            }
            int n = 1;
            for (int d : dims) {
                n *= d;
            }
            double da = new double[] {0.0, 0.05, 0.3, 0.6, 0.95}[trial % 5];
            double db = new double[] {0.3, 0.0, 0.7, 0.1, 0.5, 0.9}[trial % 6];
            boolean[] a = DistanceTransformTest.randomMask(rng, n, da);
            boolean[] b = trial % 7 == 3 ? a.clone() : DistanceTransformTest.randomMask(rng, n, db);
            SurfaceDistances expected = brute(a, b, dims, sp);
            SurfaceDistances actual = SurfaceDistance.compute(a, b, dims, sp);
            assertArrayEquals(bruteSurface(a, dims), SurfaceDistance.surface(a, dims), "surface, trial " + trial);
            String where = "trial " + trial + " dims " + java.util.Arrays.toString(dims);
            if (!expected.isFinite()) {
                assertEquals(expected, actual, where);
                continue;
            }
            assertEquals(expected.hd(), actual.hd(), 1e-9, "HD " + where);
            assertEquals(expected.hd95(), actual.hd95(), 1e-9, "HD95 " + where);
            assertEquals(expected.mhd(), actual.mhd(), 1e-9, "MHD " + where);
        }
    }

    @Test
    void blobsMatchBruteForce() {
        // compact shapes (discs / balls) with anisotropic spacing, where HD95 differs from HD
        int[] dims = {3, 14, 17};
        double[] sp = {2.5, 0.8, 1.1};
        boolean[] a = new boolean[3 * 14 * 17];
        boolean[] b = new boolean[a.length];
        for (int i = 0; i < a.length; i++) {
            int[] c = DistanceTransformTest.coordinates(i, dims);
            a[i] = Math.pow(c[1] - 6, 2) + Math.pow(c[2] - 7, 2) <= 16;
            b[i] = c[0] > 0 && Math.pow(c[1] - 7.5, 2) / 2 + Math.pow(c[2] - 9, 2) <= 20;
        }
        SurfaceDistances expected = brute(a, b, dims, sp);
        SurfaceDistances actual = SurfaceDistance.compute(a, b, dims, sp);
        assertEquals(expected.hd(), actual.hd(), 1e-9);
        assertEquals(expected.hd95(), actual.hd95(), 1e-9);
        assertEquals(expected.mhd(), actual.mhd(), 1e-9);
        assertTrue(actual.hd95() <= actual.hd() && actual.mhd() <= actual.hd());
    }

    private static int count(boolean[] m) {
        int c = 0;
        for (boolean x : m) {
            if (x) {
                c++;
            }
        }
        return c;
    }
}
