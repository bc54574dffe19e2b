package org.layerensembles.uncertainty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/** Hand-computed cases and edge cases, run on both the reference and the fused kernel. */
class UncertaintyTest {
    private static final double EPS = 1e-5;
    private static final double TOL = 1e-6;

    private static UncertaintyResult compute(boolean fused, List<NDArray> heads, NDArray gt, UncertaintyOptions o) {
        return fused ? FusedUncertainty.compute(heads, gt, o) : Uncertainty.compute(heads, gt, o);
    }

    private static UncertaintyResult volume(boolean fused, List<NDArray> heads, NDArray gt, UncertaintyOptions o) {
        return fused ? FusedUncertainty.computeVolume(heads, gt, o) : Uncertainty.computeVolume(heads, gt, o);
    }

    /** -Σ p ln(p + ε) of a binary distribution (1 - f, f), from the float values as stored. */
    private static double h2(float f) {
        double fg = f;
        double bg = 1f - f;
        return -fg * Math.log(fg + EPS) - bg * Math.log(bg + EPS);
    }

    private static void assertClose(double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }

    // 2x2 image, 3 heads, binary. Head foreground probabilities per pixel:
    private static final float[][] FG = {
        {0.9f, 0.2f, 0.6f, 0.1f},
        {0.8f, 0.4f, 0.35f, 0.2f},
        {0.7f, 0.7f, 0.6f, 0.3f},
    };
    // head labels: h0 = [1,0,1,0], h1 = [1,0,0,0], h2 = [1,1,1,0]; mean fg = [.8, .433, .517, .2] -> [1,0,1,0]

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void handComputedBinary2x2ThreeHeads(boolean fused) {
        List<NDArray> heads = Fixtures.binaryHeads(FG, 1, 2, 2);
        NDArray gt = NDArrays.of(new int[] {1, 1, 0, 0}, 1, 2, 2);
        UncertaintyResult r = compute(fused, heads, gt, UncertaintyOptions.defaults());

        double[] meanFg = new double[4];
        double[] meanBg = new double[4];
        double[] entropy = new double[4];
        double[] mi = new double[4];
        double[] soft = new double[4];
        for (int x = 0; x < 4; x++) {
            double fg = 0;
            double bg = 0;
            double headEntropy = 0;
            for (float[] f : FG) {
                fg += f[x];
                bg += 1f - f[x];
                headEntropy += h2(f[x]);
            }
            meanFg[x] = fg / 3;
            meanBg[x] = bg / 3;
            entropy[x] = -meanFg[x] * Math.log(meanFg[x] + EPS) - meanBg[x] * Math.log(meanBg[x] + EPS);
            mi[x] = entropy[x] - headEntropy / 3;
            double vf = 0;
            double vb = 0;
            for (float[] f : FG) {
                vf += Math.pow(f[x] - meanFg[x], 2);
                vb += Math.pow((1f - f[x]) - meanBg[x], 2);
            }
            soft[x] = vf / 3 + vb / 3;
        }
        assertArrayEquals(new int[] {1, 0, 1, 0}, r.labels().toIntArray());
        float[] mean = r.meanProbabilities().toFloatArray();
        for (int x = 0; x < 4; x++) {
            assertEquals(meanBg[x], mean[x], TOL);
            assertEquals(meanFg[x], mean[4 + x], TOL);
        }
        assertClose(entropy, r.entropy().toFloatArray(), TOL);
        assertClose(mi, r.mutualInformation().toFloatArray(), TOL);
        assertClose(soft, r.softVariance().toFloatArray(), TOL);
        // fg votes [3, 1, 2, 0] -> q(1-q) = [0, 2/9, 2/9, 0]
        assertClose(new double[] {0, 2.0 / 9, 2.0 / 9, 0}, r.variance().toFloatArray(), TOL);

        // The fused kernel's float32 logarithm: within 1e-6 per pixel (see FusedUncertainty).
        double scoreTol = fused ? 4e-6 : 1e-9;
        assertEquals(entropy[0] + entropy[1] + entropy[2] + entropy[3], r.entropyScore()[0], scoreTol);
        assertEquals(mi[0] + mi[1] + mi[2] + mi[3], r.miScore()[0], scoreTol);
        assertEquals(4.0 / 9, r.varianceScore()[0], 1e-12);

        // a_0 = DSC({0,2}, {0}) = 2/3; a_1 = DSC({0}, {0,1,2}) = 1/2; AULA = (2/3 + 1/2) / 2 = 7/12
        assertArrayEquals(new double[] {2.0 / 3, 0.5}, r.agreement()[0], 1e-15);
        assertEquals(7.0 / 12, r.aula()[0], 1e-15);
        assertNull(r.aulaPerClass());

        // labels {0,2} vs truth {0,1}: DSC 2*1/4
        assertEquals(0.5, r.dice()[0], 1e-15);
        assertNull(r.dicePerClass());
        double nll = -(Math.log(meanFg[0] + EPS) + Math.log(meanFg[1] + EPS) + Math.log(meanBg[2] + EPS)
                + Math.log(meanBg[3] + EPS)) / 4;
        assertEquals(nll, r.nll()[0], 1e-12);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void normalisedScores(boolean fused) {
        List<NDArray> heads = Fixtures.binaryHeads(FG, 1, 2, 2);
        UncertaintyResult plain = compute(fused, heads, null, UncertaintyOptions.defaults());
        UncertaintyResult r = compute(fused, heads, null, new UncertaintyOptions(EPS, true));
        // variance [0, 2/9, 2/9, 0] normalises to [0, 1, 1, 0]
        assertEquals(2.0, r.varianceScore()[0], 1e-12);
        float[] e = plain.entropy().toFloatArray();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (float v : e) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double expected = 0;
        for (float v : e) {
            expected += (v - min) / (max - min);
        }
        assertEquals(expected, r.entropyScore()[0], 1e-5);
        assertNull(r.nll());
        assertNull(r.dice());
        // A constant map (identical heads: variance 0 everywhere) scores 0.
        UncertaintyResult same = compute(fused, List.of(heads.get(0), heads.get(0)), null,
                new UncertaintyOptions(EPS, true));
        assertEquals(0.0, same.varianceScore()[0]);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void handComputedMultiClass(boolean fused) {
        // 1x3 image, C = 3, three heads voting:
        int[][] votes = {{1, 2, 0}, {1, 1, 0}, {2, 1, 0}};
        List<NDArray> heads = Fixtures.votingHeads(3, votes, 1, 1, 3);
        NDArray gt = NDArrays.of(new int[] {1, 2, 0}, 1, 1, 3);
        UncertaintyResult r = compute(fused, heads, gt, UncertaintyOptions.defaults());
        assertArrayEquals(new int[] {1, 1, 0}, r.labels().toIntArray());
        // combined fg: every head {0,1} -> a = [1, 1], AULA 1 = T - 2
        assertArrayEquals(new double[] {1, 1}, r.agreement()[0]);
        assertEquals(1.0, r.aula()[0]);
        // class 1: {0}, {0,1}, {1} -> a = [2/3, 2/3] -> 2/3; class 2: {1}, {}, {0} -> a = [0, 0] -> 0
        assertTrue(Double.isNaN(r.aulaPerClass()[0][0]));
        assertEquals(2.0 / 3, r.aulaPerClass()[0][1], 1e-15);
        assertEquals(0.0, r.aulaPerClass()[0][2]);
        // variance: votes (0, 2, 1) -> (0 + 2/9 + 2/9) / 3 = 4/27 at pixels 0 and 1; 0 at pixel 2
        assertClose(new double[] {4.0 / 27, 4.0 / 27, 0}, r.variance().toFloatArray(), TOL);
        // soft variance at pixel 0: class 0 (.2,.2,.2) -> 0; classes 1 and 2: values {.6,.6,.2} -> 2 * 0.0355...
        double m = (0.6 + 0.6 + 0.2) / 3;
        double v = (2 * Math.pow(0.6 - m, 2) + Math.pow(0.2 - m, 2)) / 3;
        assertEquals(2 * v, r.softVariance().toFloatArray()[0], TOL);
        assertEquals(0.0, r.softVariance().toFloatArray()[2], TOL);
        // DSC: combined {0,1} vs {0,1} = 1; class 1 {0,1} vs {0} = 2/3; class 2 {} vs {1} = 0
        assertEquals(1.0, r.dice()[0]);
        assertTrue(Double.isNaN(r.dicePerClass()[0][0]));
        assertEquals(2.0 / 3, r.dicePerClass()[0][1], 1e-15);
        assertEquals(0.0, r.dicePerClass()[0][2]);
        // NLL: p̄(true) = p̄(1) at 0 = (.6+.6+.2)/3, p̄(2) at 1 = (.6+.2+.2)/3, p̄(0) at 2 = .6
        double nll = -(Math.log((0.6 + 0.6 + 0.2) / 3 + EPS) + Math.log(1.0 / 3 + EPS) + Math.log(0.6 + EPS)) / 3;
        assertEquals(nll, r.nll()[0], 1e-6);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void emptyMasksAgreeFully(boolean fused) {
        int t = 4;
        float[][] fg = new float[t][];
        for (int k = 0; k < t; k++) {
            fg[k] = new float[] {0.1f, 0.2f * k / 4, 0.3f, 0.05f, 0.4f, 0.01f};
        }
        NDArray gt = NDArrays.of(new int[6], 1, 2, 3);
        UncertaintyResult r = compute(fused, Fixtures.binaryHeads(fg, 1, 2, 3), gt, UncertaintyOptions.defaults());
        assertArrayEquals(new double[] {1, 1, 1}, r.agreement()[0]);
        assertEquals(t - 2, r.aula()[0]);
        assertEquals(1.0, r.dice()[0]);
        assertEquals(0.0, r.varianceScore()[0]);
        assertArrayEquals(new int[6], r.labels().toIntArray());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void identicalHeadsHaveNoDisagreement(boolean fused) {
        for (int c : new int[] {2, 4}) {
            NDArray one = Fixtures.randomHeads(11 + c, 1, 2, c, 5, 7).get(0);
            int t = 5;
            List<NDArray> heads = new ArrayList<>();
            for (int k = 0; k < t; k++) {
                heads.add(one);
            }
            UncertaintyResult r = compute(fused, heads, null, UncertaintyOptions.defaults());
            for (int img = 0; img < 2; img++) {
                assertEquals(t - 2, r.aula()[img]);
                assertEquals(0.0, r.varianceScore()[img]);
                assertEquals(0.0, r.miScore()[img], 1e-12);
                if (c > 2) {
                    for (int cls = 1; cls < c; cls++) {
                        assertEquals(t - 2, r.aulaPerClass()[img][cls], "class " + cls);
                    }
                }
            }
            for (float v : r.mutualInformation().toFloatArray()) {
                assertEquals(0.0, v, 1e-12);
            }
            for (float v : r.softVariance().toFloatArray()) {
                assertEquals(0.0, v, 1e-12);
            }
            assertArrayEquals(one.toFloatArray(), r.meanProbabilities().toFloatArray());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void absentClass(boolean fused) {
        // C = 4; class 3 is never predicted and not in the truth.
        int[][] votes = {{0, 1, 2, 1}, {0, 2, 2, 1}, {1, 2, 0, 1}};
        List<NDArray> heads = Fixtures.votingHeads(4, votes, 1, 2, 2);
        NDArray gt = NDArrays.of(new int[] {0, 2, 2, 1}, 1, 2, 2);
        UncertaintyResult r = compute(fused, heads, gt, UncertaintyOptions.defaults());
        assertEquals(1.0, r.aulaPerClass()[0][3]); // T - 2 with every a_k = 1 (both empty)
        assertEquals(1.0, r.dicePerClass()[0][3]);
        // class 1: {1,3}, {3}, {0,3} -> a = [2/3, 2/3] -> AULA 2/3
        assertEquals(2.0 / 3, r.aulaPerClass()[0][1], 1e-15);
        // labels of p̄: pixel0 class0 (.6+.6+.133)/3 vs class1 (.133+.133+.6)/3 -> 0; pixel1 2; pixel2 2; pixel3 1
        assertArrayEquals(new int[] {0, 2, 2, 1}, r.labels().toIntArray());
        assertEquals(1.0, r.dice()[0]);
        assertEquals(1.0, r.dicePerClass()[0][1]);
        assertEquals(1.0, r.dicePerClass()[0][2]);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void oneHeadHasNoCurve(boolean fused) {
        for (int c : new int[] {2, 3}) {
            List<NDArray> heads = Fixtures.randomHeads(5, 1, 2, c, 3, 3);
            UncertaintyResult r = compute(fused, heads, Fixtures.randomTruth(6, 2, c, 3, 3),
                    UncertaintyOptions.defaults());
            for (int img = 0; img < 2; img++) {
                assertEquals(0, r.agreement()[img].length);
                assertTrue(Double.isNaN(r.aula()[img]));
                assertEquals(0.0, r.varianceScore()[img]);
                if (c > 2) {
                    for (double a : r.aulaPerClass()[img]) {
                        assertTrue(Double.isNaN(a));
                    }
                }
            }
            for (float v : r.mutualInformation().toFloatArray()) {
                assertEquals(0.0, v);
            }
            assertArrayEquals(heads.get(0).toFloatArray(), r.meanProbabilities().toFloatArray());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void twoHeadsGiveZeroArea(boolean fused) {
        List<NDArray> heads = Fixtures.binaryHeads(new float[][] {{0.9f, 0.8f, 0.1f}, {0.9f, 0.2f, 0.1f}}, 1, 1, 3);
        UncertaintyResult r = compute(fused, heads, null, UncertaintyOptions.defaults());
        assertArrayEquals(new double[] {2.0 / 3}, r.agreement()[0], 1e-15);
        assertEquals(0.0, r.aula()[0]); // a_0 - (a_0 + a_0)/2
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void volumeIsOverTheWholeStack(boolean fused) {
        // 2 slices of 1x2, 3 heads. Slice 0: all heads fg at pixel 0. Slice 1: only head 0 fg at pixel 0.
        float[][] fg = {
            {0.9f, 0.1f, 0.9f, 0.1f},
            {0.9f, 0.1f, 0.1f, 0.1f},
            {0.9f, 0.1f, 0.1f, 0.1f},
        };
        List<NDArray> heads = Fixtures.binaryHeads(fg, 2, 1, 2);
        NDArray gt = NDArrays.of(new int[] {1, 0, 0, 1}, 2, 1, 2);
        UncertaintyResult slices = compute(fused, heads, gt, UncertaintyOptions.defaults());
        UncertaintyResult vol = volume(fused, heads, gt, UncertaintyOptions.defaults());

        assertArrayEquals(new double[] {1, 1}, slices.agreement()[0]);
        assertArrayEquals(new double[] {0, 1}, slices.agreement()[1]);
        assertArrayEquals(new double[] {1.0, 0.5}, slices.aula());
        assertArrayEquals(new double[] {1.0, 0.0}, slices.dice());

        assertEquals(1, vol.aula().length);
        // volume: h0 {s0p0, s1p0}, h1 {s0p0}, h2 {s0p0} -> a = [2/3, 1] -> AULA 5/6
        assertArrayEquals(new double[] {2.0 / 3, 1}, vol.agreement()[0], 1e-15);
        assertEquals(5.0 / 6, vol.aula()[0], 1e-15);
        // labels {s0p0} vs truth {s0p0, s1p1}: 2/3 (mean of per-slice DSC would be 1/2)
        assertEquals(2.0 / 3, vol.dice()[0], 1e-15);
        assertEquals((slices.nll()[0] + slices.nll()[1]) / 2, vol.nll()[0], 1e-12);
        assertEquals(slices.entropyScore()[0] + slices.entropyScore()[1], vol.entropyScore()[0], 1e-9);
        assertEquals(slices.varianceScore()[0] + slices.varianceScore()[1], vol.varianceScore()[0], 1e-12);
        assertArrayEquals(slices.entropy().toFloatArray(), vol.entropy().toFloatArray());
        assertArrayEquals(slices.labels().toIntArray(), vol.labels().toIntArray());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void rejectsBadInputs(boolean fused) {
        List<NDArray> heads = Fixtures.randomHeads(1, 2, 1, 3, 2, 2);
        UncertaintyOptions o = UncertaintyOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> compute(fused, List.of(), null, o));
        assertThrows(IllegalArgumentException.class,
                () -> compute(fused, List.of(heads.get(0), Fixtures.randomHeads(1, 1, 1, 3, 2, 3).get(0)), null, o));
        assertThrows(IllegalArgumentException.class,
                () -> compute(fused, List.of(NDArrays.ones(1, 1, 2, 2)), null, o));
        assertThrows(IllegalArgumentException.class,
                () -> compute(fused, heads, NDArrays.of(new int[] {0, 1, 2, 3}, 1, 2, 2), o));
        assertThrows(IllegalArgumentException.class,
                () -> compute(fused, heads, NDArrays.of(new int[] {0, 1, -1, 2}, 1, 2, 2), o));
        assertThrows(IllegalArgumentException.class,
                () -> compute(fused, heads, NDArrays.of(new int[] {0, 1, 2}, 1, 1, 3), o));
        assertThrows(IllegalArgumentException.class, () -> new UncertaintyOptions(-1, false));
    }

    @Test
    void calibrationBinsHandCase() {
        List<NDArray> heads = Fixtures.binaryHeads(FG, 1, 2, 2);
        NDArray gt = NDArrays.of(new int[] {1, 1, 0, 0}, 1, 2, 2);
        CalibrationBins ref = Uncertainty.calibration(heads, gt, UncertaintyOptions.defaults());
        CalibrationBins fused = FusedUncertainty.computeWithCalibration(heads, gt, UncertaintyOptions.defaults())
                .calibration();
        double c0 = ((double) 0.9f + 0.8f + 0.7f) / 3;
        double c1 = ((double) (1f - 0.2f) + (1f - 0.4f) + (1f - 0.7f)) / 3;
        double c2 = ((double) 0.6f + 0.35f + 0.6f) / 3;
        double c3 = ((double) (1f - 0.1f) + (1f - 0.2f) + (1f - 0.3f)) / 3;
        // pixels 0 and 3 are right (confidence about .8), 1 (.567) and 2 (.517) wrong
        long[] counts = new long[CalibrationBins.BINS];
        double[] acc = new double[CalibrationBins.BINS];
        for (double c : new double[] {c0, c3}) {
            counts[(int) (c * 15)]++;
            acc[(int) (c * 15)]++;
        }
        counts[(int) (c1 * 15)]++;
        counts[(int) (c2 * 15)]++;
        assertEquals(8, (int) (c1 * 15));
        assertEquals(7, (int) (c2 * 15));
        for (CalibrationBins b : List.of(ref, fused)) {
            assertEquals(4, b.pixels()[0]);
            assertArrayEquals(counts, b.counts()[0]);
            assertArrayEquals(acc, b.accuracySums()[0]);
            double ece = (Math.abs(2 - c0 - c3) + c1 + c2) / 4;
            assertEquals(ece, b.ece(0), 1e-6);
            double brier = (2 * Math.pow(1 - c0, 2) + 2 * Math.pow(c1, 2) + 2 * Math.pow(c2, 2)
                    + 2 * Math.pow(1 - c3, 2)) / 4;
            assertEquals(brier, b.brier(0), 1e-6);
        }
        assertNull(FusedUncertainty.computeWithCalibration(heads, null, UncertaintyOptions.defaults()).calibration());
    }
}
