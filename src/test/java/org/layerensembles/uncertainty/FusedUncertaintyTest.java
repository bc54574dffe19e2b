package org.layerensembles.uncertainty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.cpu.Parallel;

/** The fused kernel against the multi-pass reference on random inputs. */
class FusedUncertaintyTest {
    /** N, H, W: below one block, across blocks, across tasks (HW > TASK_PIXELS). */
    private static final int[][] SIZES = {{3, 7, 5}, {2, 17, 31}, {1, 97, 91}};

    private static void assertRelClose(double[] expected, double[] actual, double rel, String what) {
        if (expected == null) {
            assertNull(actual, what);
            return;
        }
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], rel * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
        }
    }

    private static void assertMapClose(float[] entropy, float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], LOG_TOL * (1 + Math.abs(entropy[i])), what + "[" + i + "]");
        }
    }

    /**
     * The bound on a score made of the pixels [from, from + count) of a map: the per-pixel bound
     * summed; normalised, each term (m - min) / (max - min) moves by at most 4 bounds / (max - min).
     */
    private static double scoreTolerance(float[] entropy, float[] map, int from, int count, boolean normalised) {
        double bound = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + count; i++) {
            bound += LOG_TOL * (1 + Math.abs(entropy[i]));
            min = Math.min(min, map[i]);
            max = Math.max(max, map[i]);
        }
        return normalised ? 4 * bound / Math.max(max - min, 1e-3) : bound;
    }

    private static void assertExact(double[][] expected, double[][] actual, String what) {
        if (expected == null) {
            assertNull(actual, what);
            return;
        }
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], what + "[" + i + "]");
        }
    }

    /**
     * The fused entropy and MI use a float32 logarithm and float32 arguments (FusedUncertainty's
     * Javadoc): per pixel within LOG_TOL * (1 + H), H the reference entropy there (at most ln C).
     */
    private static final double LOG_TOL = 1e-6;

    static void assertSame(UncertaintyResult ref, UncertaintyResult fused, UncertaintyOptions o, String what) {
        assertArrayEquals(ref.meanProbabilities().shape(), fused.meanProbabilities().shape(), what);
        assertArrayEquals(ref.meanProbabilities().toFloatArray(), fused.meanProbabilities().toFloatArray(),
                what + " mean");
        assertArrayEquals(ref.labels().toIntArray(), fused.labels().toIntArray(), what + " labels");
        float[] h = ref.entropy().toFloatArray();
        assertMapClose(h, h, fused.entropy().toFloatArray(), what + " entropy");
        assertMapClose(h, ref.mutualInformation().toFloatArray(), fused.mutualInformation().toFloatArray(),
                what + " MI");
        assertArrayEquals(ref.variance().toFloatArray(), fused.variance().toFloatArray(), what + " variance");
        assertArrayEquals(ref.softVariance().toFloatArray(), fused.softVariance().toFloatArray(), 1e-6f,
                what + " soft variance");
        int groups = ref.aula().length;
        int perGroup = h.length / groups;
        float[] mi = ref.mutualInformation().toFloatArray();
        for (int g = 0; g < groups; g++) {
            String at = "[" + g + "]";
            assertEquals(ref.entropyScore()[g], fused.entropyScore()[g],
                    scoreTolerance(h, h, g * perGroup, perGroup, o.normalisedScores()), what + " entropy score" + at);
            assertEquals(ref.miScore()[g], fused.miScore()[g],
                    scoreTolerance(h, mi, g * perGroup, perGroup, o.normalisedScores()), what + " MI score" + at);
            // the variance map is exact: only the order of summation differs
            assertEquals(ref.varianceScore()[g], fused.varianceScore()[g],
                    1e-12 * Math.max(1, Math.abs(ref.varianceScore()[g])), what + " variance score" + at);
        }
        assertExact(ref.agreement(), fused.agreement(), what + " agreement");
        assertArrayEquals(ref.aula(), fused.aula(), what + " AULA");
        assertExact(ref.aulaPerClass(), fused.aulaPerClass(), what + " AULA per class");
        assertRelClose(ref.nll(), fused.nll(), 1e-12, what + " NLL");
        if (ref.dice() == null) {
            assertNull(fused.dice());
        } else {
            assertArrayEquals(ref.dice(), fused.dice(), what + " DSC");
        }
        assertExact(ref.dicePerClass(), fused.dicePerClass(), what + " DSC per class");
    }

    static void assertSame(CalibrationBins ref, CalibrationBins fused, String what) {
        assertArrayEquals(ref.pixels(), fused.pixels(), what);
        for (int g = 0; g < ref.images(); g++) {
            assertArrayEquals(ref.counts()[g], fused.counts()[g], what + " counts");
            assertArrayEquals(ref.accuracySums()[g], fused.accuracySums()[g], what + " accuracy");
            assertRelClose(ref.confidenceSums()[g], fused.confidenceSums()[g], 1e-12, what + " confidence");
            assertEquals(ref.brierSums()[g], fused.brierSums()[g], 1e-12 * Math.max(1, ref.brierSums()[g]), what);
        }
    }

    @Test
    void matchesReferenceOnRandomInputs() {
        long seed = 100;
        for (int c : new int[] {2, 4}) {
            for (int t : new int[] {1, 2, 5, 9}) {
                for (int[] s : SIZES) {
                    seed++;
                    List<NDArray> heads = Fixtures.randomHeads(seed, t, s[0], c, s[1], s[2]);
                    NDArray gt = Fixtures.randomTruth(seed + 7, s[0], c, s[1], s[2]);
                    String what = "C=" + c + " T=" + t + " size=" + s[0] + "x" + s[1] + "x" + s[2];
                    UncertaintyOptions o = UncertaintyOptions.defaults();
                    assertSame(Uncertainty.compute(heads, gt, o), FusedUncertainty.compute(heads, gt, o), o, what);
                    assertSame(Uncertainty.computeVolume(heads, gt, o), FusedUncertainty.computeVolume(heads, gt, o), o,
                            what + " volume");
                    UncertaintyOptions norm = new UncertaintyOptions(1e-5, true);
                    assertSame(Uncertainty.compute(heads, null, norm), FusedUncertainty.compute(heads, null, norm), norm,
                            what + " normalised, no truth");
                    assertSame(Uncertainty.calibration(heads, gt, o),
                            FusedUncertainty.computeWithCalibration(heads, gt, o).calibration(), what);
                    assertSame(Uncertainty.calibrationVolume(heads, gt, o),
                            FusedUncertainty.computeVolumeWithCalibration(heads, gt, o).calibration(), what);
                }
            }
        }
    }

    @Test
    void matchesReferenceWithManyTies() {
        long seed = 500;
        for (int c : new int[] {2, 3}) {
            for (int t : new int[] {2, 5}) {
                for (int[] s : SIZES) {
                    seed++;
                    List<NDArray> heads = Fixtures.tiedHeads(seed, t, s[0], c, s[1], s[2]);
                    NDArray gt = Fixtures.randomTruth(seed + 3, s[0], c, s[1], s[2]);
                    String what = "ties C=" + c + " T=" + t + " size=" + s[0] + "x" + s[1] + "x" + s[2];
                    UncertaintyOptions o = new UncertaintyOptions(1e-5, true);
                    assertSame(Uncertainty.compute(heads, gt, o), FusedUncertainty.compute(heads, gt, o), o, what);
                    assertSame(Uncertainty.computeVolume(heads, gt, o), FusedUncertainty.computeVolume(heads, gt, o), o,
                            what + " volume");
                }
            }
        }
    }

    @Test
    void sameBitsOnOneAndTwoThreads() {
        int before = Parallel.threads();
        List<NDArray> heads = Fixtures.randomHeads(77, 5, 2, 4, 101, 97);
        NDArray gt = Fixtures.randomTruth(78, 2, 4, 101, 97);
        UncertaintyOptions o = new UncertaintyOptions(1e-5, true);
        try {
            Parallel.setThreads(1);
            FusedUncertainty.Output one = FusedUncertainty.computeWithCalibration(heads, gt, o);
            FusedUncertainty.Output oneVol = FusedUncertainty.computeVolumeWithCalibration(heads, gt, o);
            Parallel.setThreads(2);
            FusedUncertainty.Output two = FusedUncertainty.computeWithCalibration(heads, gt, o);
            FusedUncertainty.Output twoVol = FusedUncertainty.computeVolumeWithCalibration(heads, gt, o);
            for (FusedUncertainty.Output[] pair : new FusedUncertainty.Output[][] {{one, two}, {oneVol, twoVol}}) {
                UncertaintyResult a = pair[0].result();
                UncertaintyResult b = pair[1].result();
                assertArrayEquals(a.softVariance().toFloatArray(), b.softVariance().toFloatArray());
                assertArrayEquals(a.entropyScore(), b.entropyScore());
                assertArrayEquals(a.miScore(), b.miScore());
                assertArrayEquals(a.varianceScore(), b.varianceScore());
                assertArrayEquals(a.nll(), b.nll());
                assertArrayEquals(a.aula(), b.aula());
                assertArrayEquals(pair[0].calibration().brierSums(), pair[1].calibration().brierSums());
                for (int g = 0; g < a.aula().length; g++) {
                    assertArrayEquals(pair[0].calibration().confidenceSums()[g],
                            pair[1].calibration().confidenceSums()[g]);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void readsNonContiguousViews() {
        // Heads stored [N, H, W, C] and permuted to [N, C, H, W].
        int n = 2;
        int c = 3;
        int h = 5;
        int w = 9;
        List<NDArray> contiguous = Fixtures.randomHeads(91, 3, n, c, h, w);
        List<NDArray> views = new ArrayList<>();
        for (NDArray p : contiguous) {
            NDArray nhwc = NDArrays.of(p.permute(0, 2, 3, 1).contiguous().toFloatArray(), n, h, w, c);
            views.add(nhwc.permute(0, 3, 1, 2));
        }
        NDArray gt = Fixtures.randomTruth(92, n, c, h, w);
        // also a ground truth that is a view: a slice of a larger batch
        NDArray bigGt = NDArrays.of(concat(Fixtures.randomTruth(93, 1, c, h, w).toIntArray(), gt.toIntArray()),
                n + 1, h, w);
        NDArray gtView = bigGt.slice(0, 1, n + 1);
        UncertaintyOptions o = UncertaintyOptions.defaults();
        UncertaintyResult expected = Uncertainty.compute(contiguous, gt, o);
        assertSame(expected, FusedUncertainty.compute(views, gtView, o), o, "views");
        assertSame(expected, Uncertainty.compute(views, gtView, o), o, "reference on views");
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
