package org.layerensembles.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

class CalibrationTest {
    private static final double EPS = 1e-5;

    /** A binary [2, 1, W] probability map with foreground probabilities {@code p1}. */
    private static NDArray binary(double... p1) {
        double[] v = new double[2 * p1.length];
        for (int i = 0; i < p1.length; i++) {
            v[i] = 1 - p1[i];
            v[p1.length + i] = p1[i];
        }
        return NDArrays.of(v, 2, 1, p1.length);
    }

    @Test
    void handComputedBinaryCase() {
        // p1 = .9 .3 .6 .5, gt = 1 0 0 1; confidence .9 .7 .6 .5; argmax 1 0 1 0 (tie -> class 0)
        NDArray p = binary(0.9, 0.3, 0.6, 0.5);
        int[] gt = {1, 0, 0, 1};
        double nll = -(Math.log(0.9 + EPS) + Math.log(0.7 + EPS) + Math.log(0.4 + EPS) + Math.log(0.5 + EPS)) / 4;
        assertEquals(nll, Calibration.nll(p, gt, EPS), 1e-7);
        assertEquals(nll, Calibration.nll(p, gt), 1e-7);
        // Brier, summed over classes: .02 + .18 + .72 + .5 over 4
        assertEquals(0.355, Calibration.brier(p, gt), 1e-7);
        // 5 bins: [.4,.6): .5 wrong; [.6,.8): .7 right, .6 wrong; [.8,1]: .9 right
        ReliabilityBins b = Calibration.bins(p, gt, 5);
        assertArrayEquals(new long[] {0, 0, 1, 2, 1}, b.count());
        assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8}, b.lower(), 1e-15);
        assertArrayEquals(new double[] {0.2, 0.4, 0.6, 0.8, 1.0}, b.upper(), 1e-15);
        assertArrayEquals(new double[] {0, 0, 0.5, 0.65, 0.9}, b.meanConfidence(), 1e-7);
        assertArrayEquals(new double[] {0, 0, 0, 0.5, 1}, b.accuracy(), 0);
        assertEquals(0.125 + 0.075 + 0.025, Calibration.ece(b), 1e-7);
        assertEquals(0.225, Calibration.ece(p, gt, 5), 1e-7);
        // 2 equal-mass bins: {.5 wrong, .6 wrong} and {.7 right, .9 right}: .5 * .55 + .5 * .2
        assertEquals(0.375, Calibration.adaptiveEce(p, gt, 2), 1e-7);
        ReliabilityBins a = Calibration.adaptiveBins(p, gt, 2);
        assertArrayEquals(new long[] {2, 2}, a.count());
        assertArrayEquals(new double[] {0.5, 0.7}, a.lower(), 1e-7);
        assertArrayEquals(new double[] {0.6, 0.9}, a.upper(), 1e-7);
    }

    @Test
    void threeClassBatchHandValues() {
        // [N=2, C=3, 1, 1]: pixel 0 (.2 .5 .3) gt 1; pixel 1 (.6 .1 .3) gt 2
        NDArray p = NDArrays.of(new double[] {0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, 2, 3, 1, 1);
        int[] gt = {1, 2};
        assertEquals(-(Math.log(0.5 + EPS) + Math.log(0.3 + EPS)) / 2, Calibration.nll(p, gt, EPS), 1e-7);
        double[] per = Calibration.nllPerImage(p, gt, EPS);
        assertEquals(-Math.log(0.5 + EPS), per[0], 1e-7);
        assertEquals(-Math.log(0.3 + EPS), per[1], 1e-7);
        // Brier: (.04 + .25 + .09) and (.36 + .01 + .49), mean
        assertEquals((0.38 + 0.86) / 2, Calibration.brier(p, gt), 1e-7);
        // confidences .5 (right) and .6 (wrong), 15 bins: bin 7 and bin 9
        ReliabilityBins b = Calibration.bins(p, gt, 15);
        assertEquals(1, b.count()[7]);
        assertEquals(1, b.count()[9]);
        assertEquals(2, b.total());
        assertEquals(0.5 * 0.5 + 0.5 * 0.6, Calibration.ece(b), 1e-7);
    }

    @Test
    void confidenceOneGoesInTheLastBinAndEdgesAreLowerClosed() {
        NDArray p = binary(1.0, 0.0, 1.0);
        int[] gt = {1, 0, 0};
        ReliabilityBins b = Calibration.bins(p, gt, 15);
        assertEquals(3, b.count()[14]);
        assertEquals(3, b.total());
        assertEquals(1.0, b.meanConfidence()[14], 0);
        assertEquals(2.0 / 3.0, b.accuracy()[14], 1e-15);
        assertEquals(1.0 / 3.0, Calibration.ece(b), 1e-15);
        // bin of exact edges: k/B opens bin k; the value just below it stays in bin k-1
        for (int bins : new int[] {1, 5, 10, 15, 7}) {
            double[][] e = Calibration.equalWidthEdges(bins);
            for (int k = 0; k < bins; k++) {
                double edge = (double) k / bins;
                assertEquals(k, Calibration.binOf(edge, bins, e[0], e[1]), "edge " + k + "/" + bins);
                if (k > 0) {
                    assertEquals(k - 1, Calibration.binOf(Math.nextDown(edge), bins, e[0], e[1]));
                }
            }
            assertEquals(bins - 1, Calibration.binOf(1.0, bins, e[0], e[1]));
            assertEquals(bins - 1, Calibration.binOf(Math.nextUp(1.0), bins, e[0], e[1]));
            assertEquals(0, Calibration.binOf(0.0, bins, e[0], e[1]));
        }
    }

    @Test
    void exactlyCalibratedConstructionHasZeroEce() {
        // conf .6 on 10 pixels (6 right), .8 on 5 (4 right), 1.0 on 3 (all right), .75 on 4 (3 right)
        double[][] groups = {{0.6, 10, 6}, {0.8, 5, 4}, {1.0, 3, 3}, {0.75, 4, 3}};
        int n = 0;
        for (double[] g : groups) {
            n += (int) g[1];
        }
        double[] p1 = new double[n];
        int[] gt = new int[n];
        int i = 0;
        for (double[] g : groups) {
            for (int j = 0; j < g[1]; j++, i++) {
                p1[i] = g[0]; // argmax 1 (confidence g[0] >= .6 > .5)
                gt[i] = j < g[2] ? 1 : 0;
            }
        }
        NDArray p = binary(p1);
        // float32 probabilities: |float(c) - c| < 3e-8
        assertEquals(0.0, Calibration.ece(p, gt, 15), 1e-7);
        assertEquals(0.0, Calibration.ece(p, gt, 10), 1e-7);
        // equal-mass bins cut through the runs: the tie rule spreads each run's accuracy evenly
        for (int bins : new int[] {1, 2, 3, 5, 15, 40}) {
            assertEquals(0.0, Calibration.adaptiveEce(p, gt, bins), 1e-7, bins + " bins");
        }
    }

    @Test
    void syntheticCalibratedPredictorHasSmallEce() {
        // binary p1 ~ U(0,1), label ~ Bernoulli(p1): P(correct | confidence c) = c. With 1M pixels
        // the sampling noise of each bin's accuracy is about sqrt(.25 / 67e3) = .002; ECE < .005.
        int h = 1000;
        int w = 1000;
        SplittableRandom rng = new SplittableRandom(99);
        float[] v = new float[2 * h * w];
        int[] gt = new int[h * w];
        for (int i = 0; i < h * w; i++) {
            float p1 = (float) rng.nextDouble();
            v[i] = 1f - p1;
            v[h * w + i] = p1;
            gt[i] = rng.nextDouble() < p1 ? 1 : 0;
        }
        NDArray p = NDArrays.of(v, 2, h, w);
        Calibration.Summary s = Calibration.summarize(p, gt, 15, EPS);
        assertTrue(s.ece() < 0.005, "ECE " + s.ece());
        assertTrue(s.adaptiveEce() < 0.005, "adaptive ECE " + s.adaptiveEce());
        // expected Brier of this predictor: E[2 (1 - p)^2 p + 2 p^2 (1 - p)] = 2 E[p(1-p)] = 1/3
        assertEquals(1.0 / 3.0, s.brier(), 0.003);
        // an overconfident version (confidence pushed to 1) is clearly miscalibrated
        float[] sharp = v.clone();
        for (int i = 0; i < h * w; i++) {
            float p1 = sharp[h * w + i] > 0.5f ? 1f : 0f;
            sharp[i] = 1f - p1;
            sharp[h * w + i] = p1;
        }
        assertTrue(Calibration.ece(NDArrays.of(sharp, 2, h, w), gt, 15) > 0.2);
    }

    // ---- brute-force double reference

    private record Ref(double nll, double brier, long[] count, double[] conf, double[] acc, double ece, double aece) {
    }

    private static Ref reference(NDArray p, int[] gt, int bins) {
        int[] s = p.shape();
        int n = s[0];
        int c = s[1];
        int h = s[2];
        int w = s[3];
        int pixels = n * h * w;
        double[] confidence = new double[pixels];
        boolean[] correct = new boolean[pixels];
        double nll = 0;
        double brier = 0;
        long[] count = new long[bins];
        double[] conf = new double[bins];
        double[] acc = new double[bins];
        int i = 0;
        for (int img = 0; img < n; img++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    int truth = gt[i];
                    int best = 0;
                    for (int k = 0; k < c; k++) {
                        double v = p.getFloat(img, k, y, x);
                        brier += (v - (k == truth ? 1 : 0)) * (v - (k == truth ? 1 : 0));
                        if (v > p.getFloat(img, best, y, x)) {
                            best = k;
                        }
                    }
                    nll -= Math.log(p.getFloat(img, truth, y, x) + EPS);
                    confidence[i] = p.getFloat(img, best, y, x);
                    correct[i] = best == truth;
                    // bin: the largest k with k/bins <= confidence
                    int bin = 0;
                    for (int k = 0; k < bins; k++) {
                        if ((double) k / bins <= confidence[i]) {
                            bin = k;
                        }
                    }
                    count[bin]++;
                    conf[bin] += confidence[i];
                    acc[bin] += correct[i] ? 1 : 0;
                }
            }
        }
        double ece = 0;
        for (int k = 0; k < bins; k++) {
            if (count[k] > 0) {
                conf[k] /= count[k];
                acc[k] /= count[k];
                ece += (double) count[k] / pixels * Math.abs(acc[k] - conf[k]);
            }
        }
        // adaptive: rank order by confidence; each pixel carries its tie group's mean correctness
        Integer[] order = new Integer[pixels];
        for (int j = 0; j < pixels; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Double.compare(confidence[a], confidence[b]));
        double aece = 0;
        for (int k = 0; k < bins; k++) {
            int from = (int) ((long) k * pixels / bins);
            int to = (int) ((long) (k + 1) * pixels / bins);
            double cs = 0;
            double as = 0;
            for (int r = from; r < to; r++) {
                double cr = confidence[order[r]];
                int tie = 0;
                int tieRight = 0;
                for (int j = 0; j < pixels; j++) {
                    if (confidence[j] == cr) {
                        tie++;
                        tieRight += correct[j] ? 1 : 0;
                    }
                }
                cs += cr;
                as += (double) tieRight / tie;
            }
            aece += Math.abs(as - cs) / pixels;
        }
        return new Ref(nll / pixels, brier / pixels, count, conf, acc, ece, aece);
    }

    private static NDArray randomProbabilities(SplittableRandom rng, int n, int c, int h, int w, boolean quantised) {
        double[] v = new double[n * c * h * w];
        double[][] levels = {{0.2, 0.3, 0.5}, {0.1, 0.1, 0.8}, {0.25, 0.25, 0.5}, {0.0, 0.0, 1.0}};
        for (int img = 0; img < n; img++) {
            for (int x = 0; x < h * w; x++) {
                double[] p = new double[c];
                if (quantised) {
                    double[] l = levels[rng.nextInt(levels.length)].clone();
                    for (int k = c - 1; k > 0; k--) { // shuffle
                        int j = rng.nextInt(k + 1);
                        double t = l[k];
                        l[k] = l[j];
                        l[j] = t;
                    }
                    p = l;
                } else {
                    double sum = 0;
                    for (int k = 0; k < c; k++) {
                        p[k] = Math.exp(3 * rng.nextGaussian());
                        sum += p[k];
                    }
                    for (int k = 0; k < c; k++) {
                        p[k] /= sum;
                    }
                }
                for (int k = 0; k < c; k++) {
                    v[(img * c + k) * h * w + x] = p[k];
                }
            }
        }
        return NDArrays.of(v, n, c, h, w);
    }

    @Test
    void matchesBruteForceReference() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int trial = 0; trial < 12; trial++) {
            boolean quantised = trial % 2 == 1;
            int n = 1 + rng.nextInt(3);
            int h = 1 + rng.nextInt(9);
            int w = 1 + rng.nextInt(11);
            int c = 3;
            NDArray p = randomProbabilities(rng, n, c, h, w, quantised);
            int[] gt = new int[n * h * w];
            for (int i = 0; i < gt.length; i++) {
                gt[i] = rng.nextInt(c);
            }
            for (int bins : new int[] {15, 4, 1}) {
                Ref ref = reference(p, gt, bins);
                String where = "trial " + trial + " bins " + bins;
                assertEquals(ref.nll(), Calibration.nll(p, gt, EPS), 1e-12, where);
                assertEquals(ref.brier(), Calibration.brier(p, gt), 1e-12, where);
                ReliabilityBins b = Calibration.bins(p, gt, bins);
                assertArrayEquals(ref.count(), b.count(), where);
                assertArrayEquals(ref.conf(), b.meanConfidence(), 1e-12, where);
                assertArrayEquals(ref.acc(), b.accuracy(), 1e-12, where);
                assertEquals(ref.ece(), Calibration.ece(b), 1e-12, where);
                assertEquals(ref.aece(), Calibration.adaptiveEce(p, gt, bins), 1e-12, where);
                Calibration.Summary s = Calibration.summarize(p, gt, bins, EPS);
                assertEquals(ref.ece(), s.ece(), 1e-12);
                assertEquals(ref.aece(), s.adaptiveEce(), 1e-12);
                assertEquals(b, s.bins());
            }
        }
    }

    @Test
    void adaptiveEceIgnoresPixelOrderAmongTies() {
        // 4 pixels, all confidence .8, 2 right and 2 wrong, in two orders; 2 bins split the tie run
        NDArray p = binary(0.8, 0.8, 0.8, 0.8);
        double first = Calibration.adaptiveEce(p, new int[] {1, 1, 0, 0}, 2);
        double second = Calibration.adaptiveEce(p, new int[] {0, 1, 0, 1}, 2);
        assertEquals(0.3, first, 1e-7);
        assertEquals(first, second, 0);
        ReliabilityBins b = Calibration.adaptiveBins(p, new int[] {1, 1, 0, 0}, 2);
        assertArrayEquals(new double[] {0.5, 0.5}, b.accuracy(), 0);
        // 3 pixels in 2 bins: ranks [0,1) and [1,3); 5 pixels in 15 bins: 10 empty bins
        assertArrayEquals(new long[] {1, 2}, Calibration.adaptiveBins(binary(0.6, 0.7, 0.9), new int[] {1, 1, 1}, 2).count());
        ReliabilityBins sparse = Calibration.adaptiveBins(binary(0.6, 0.7, 0.9, 0.95, 1.0), new int[] {1, 1, 1, 0, 1}, 15);
        assertEquals(5, sparse.total());
        assertEquals(5, Arrays.stream(sparse.count()).filter(k -> k > 0).count());
    }

    @Test
    void layoutsAndPooling() {
        SplittableRandom rng = new SplittableRandom(11);
        NDArray batch = randomProbabilities(rng, 2, 3, 4, 5, false);
        int[] gt = new int[2 * 4 * 5];
        for (int i = 0; i < gt.length; i++) {
            gt[i] = rng.nextInt(3);
        }
        // [C, H, W] equals the [1, C, H, W] batch of one image
        NDArray first = batch.select(0, 0);
        int[] gt0 = Arrays.copyOfRange(gt, 0, 20);
        int[] gt1 = Arrays.copyOfRange(gt, 20, 40);
        assertEquals(Calibration.nll(first.reshape(1, 3, 4, 5), gt0, EPS), Calibration.nll(first, gt0, EPS), 0);
        assertEquals(Calibration.brier(first.reshape(1, 3, 4, 5), gt0), Calibration.brier(first, gt0), 0);
        // per-image NLL averages to the batch NLL (equal image sizes)
        double[] per = Calibration.nllPerImage(batch, gt, EPS);
        assertEquals(Calibration.nll(batch, gt, EPS), (per[0] + per[1]) / 2, 1e-12);
        assertEquals(Calibration.nll(first, gt0, EPS), per[0], 1e-12);
        // pooling the bins of the two images gives the bins of the batch
        ReliabilityBins pooled = ReliabilityBins.pool(List.of(Calibration.bins(first, gt0, 15),
                Calibration.bins(batch.select(0, 1), gt1, 15)));
        ReliabilityBins whole = Calibration.bins(batch, gt, 15);
        assertArrayEquals(whole.count(), pooled.count());
        assertArrayEquals(whole.meanConfidence(), pooled.meanConfidence(), 1e-12);
        assertArrayEquals(whole.accuracy(), pooled.accuracy(), 1e-12);
        assertEquals(Calibration.ece(whole), Calibration.ece(pooled), 1e-12);
    }

    @Test
    void rejectsBadInputs() {
        NDArray p = binary(0.2, 0.7);
        assertThrows(IllegalArgumentException.class, () -> Calibration.nll(p, new int[] {0, 2}, EPS));
        assertThrows(IllegalArgumentException.class, () -> Calibration.nll(p, new int[] {0}, EPS));
        assertThrows(IllegalArgumentException.class, () -> Calibration.bins(p, new int[] {0, 1}, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Calibration.brier(NDArrays.of(new float[] {Float.NaN, 1f}, 2, 1, 1), new int[] {0}));
        assertThrows(IllegalArgumentException.class,
                () -> Calibration.brier(NDArrays.of(new float[] {0.5f, 0.5f}, 2, 1), new int[] {0}));
        assertThrows(IllegalArgumentException.class,
                () -> Calibration.nll(NDArrays.of(new int[] {0, 1}, 2, 1, 1), new int[] {0}, EPS));
    }
}
