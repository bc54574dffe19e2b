package org.layerensembles.report;

import org.apache.commons.math3.stat.inference.WilcoxonSignedRankTest;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatisticsTest {

    @Test
    void spearmanHandValues() {
        assertEquals(1.0, Statistics.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 400}), 1e-12);
        assertEquals(-1.0, Statistics.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-12);
        // No ties: rho = 1 - 6 Σd² / (n(n²-1)) = 1 - 6·4/120 = 0.8.
        assertEquals(0.8, Statistics.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5}), 1e-12);
        // Ties get average ranks: y ranks (1, 2, 3.5, 5, 3.5); Pearson of ranks by hand.
        double[] rx = {1, 2, 3, 4, 5};
        double[] ry = {1, 2, 3.5, 5, 3.5};
        assertEquals(pearson(rx, ry), Statistics.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {5, 6, 7, 8, 7}), 1e-12);
    }

    @Test
    void spearmanDropsNonFinitePairs() {
        double[] x = {1, Double.NaN, 2, 3, 4, 100, 5};
        double[] y = {2, 7, 1, 4, 3, Double.POSITIVE_INFINITY, 5};
        assertEquals(0.8, Statistics.spearman(x, y), 1e-12);
        // Fewer than 3 finite pairs -> NaN.
        assertTrue(Double.isNaN(Statistics.spearman(new double[] {1, 2, Double.NaN}, new double[] {1, 2, 3})));
        assertTrue(Double.isNaN(Statistics.spearman(new double[] {}, new double[] {})));
        // A constant sample -> NaN (undefined), e.g. Plain's missing MI column.
        assertTrue(Double.isNaN(Statistics.spearman(new double[] {1, 2, 3}, new double[] {Double.NaN, Double.NaN, Double.NaN})));
        assertTrue(Double.isNaN(Statistics.spearman(new double[] {1, 2, 3}, new double[] {5, 5, 5})));
        assertThrows(IllegalArgumentException.class, () -> Statistics.spearman(new double[] {1}, new double[] {1, 2}));
    }

    @Test
    void wilcoxonKnownExactValues() {
        // All 5 differences positive: p = 2/2^5 = 0.0625 (R: wilcox.test(x, y, paired = TRUE)).
        assertEquals(0.0625, Statistics.wilcoxonSignedRankP(new double[] {2, 3, 4, 5, 6}, new double[] {1, 1, 1, 1, 1}), 1e-12);
        assertEquals(0.0625, Statistics.wilcoxonSignedRankP(new double[] {1, 1, 1, 1, 1}, new double[] {2, 3, 4, 5, 6}), 1e-12);
        assertEquals(2.0 / 64, Statistics.wilcoxonSignedRankP(new double[] {1, 2, 3, 4, 5, 6}, new double[6]), 1e-12);
        // Differences (1, 2, 3, -4, 5): W+ = 11, W- = 4; 7 subsets of {1..5} sum to >= 11 -> 14/32.
        assertEquals(0.4375, Statistics.wilcoxonSignedRankP(new double[] {1, 2, 3, -4, 5}, new double[5]), 1e-12);
        // Symmetric case caps at 1.
        assertEquals(1.0, Statistics.wilcoxonSignedRankP(new double[] {1, -1.5}, new double[2]), 1e-12);
    }

    @Test
    void wilcoxonExactMatchesCommonsMathEnumeration() {
        Random rnd = new Random(7);
        WilcoxonSignedRankTest commons = new WilcoxonSignedRankTest();
        for (int n = 1; n <= 16; n++) {
            double[] a = new double[n];
            double[] b = new double[n];
            for (int i = 0; i < n; i++) {
                a[i] = rnd.nextGaussian() + 0.3;
                b[i] = rnd.nextGaussian();
            }
            double expected = Math.min(1.0, commons.wilcoxonSignedRankTest(a, b, true));
            assertEquals(expected, Statistics.wilcoxonSignedRankP(a, b), 1e-12, "n = " + n);
        }
    }

    /** 30 differences; SciPy 1.17 wilcoxon: exact 0.22855282202363014, approx (corrected) 0.224926479146903. */
    private static final double[] D30 = {2.6401889169591035, 0.8313118471137548, -2.0966245406014807,
        -0.43763777257583714, -0.7250784477613097, -0.36002316613094576, -1.1623065815811389,
        0.07520224095856076, 0.7137647234763793, 2.5474674474841867, -0.4710546364232238,
        -0.09593579837098326, 2.0634507096944947, -1.3138431943867408, -2.4335460795858967,
        2.6794448720071524, -0.5722822851448601, 2.0999519677915517, 1.8611624298279228,
        2.322628833222596, 0.7056773699749767, -2.233165528614567, 2.9305388036270648,
        -0.5287836105584389, -0.738676867403814, 2.0499596085486127, 0.2526592942106365,
        -0.827090565238205, 1.4523310619866219, 0.9828943128897346};

    @Test
    void wilcoxonExactAtThirtyMatchesScipyAndIsFast() {
        long t0 = System.nanoTime();
        double p30 = Statistics.wilcoxonSignedRankP(D30, new double[30]);
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "exact test at n = 30 must be fast");
        assertEquals(0.22855282202363014, p30, 1e-12);
        assertEquals(0.224926479146903, Statistics.normalTwoSidedP(D30), 1e-9);
    }

    @Test
    void wilcoxonNormalApproximationAboveThirty() {
        // 31 differences 1..31 with signs alternating from -: W+ = 2+4+..+30 = 240, μ = 248,
        // σ² = 31·32·63/24 = 2604, z = (240 - 248 + 0.5)/√2604.
        double[] d = new double[31];
        for (int i = 0; i < 31; i++) {
            d[i] = (i % 2 == 0 ? -1 : 1) * (i + 1);
        }
        double z = (240 - 248 + 0.5) / Math.sqrt(2604);
        double expected = 2 * new org.apache.commons.math3.distribution.NormalDistribution().cumulativeProbability(z);
        assertEquals(expected, Statistics.wilcoxonSignedRankP(d, new double[31]), 1e-12);
        // Ties: |d| = (1, 1, 2, 2, 2, 3...) reduce the variance by Σ(t³ - t)/48.
        double[] tied = new double[40];
        for (int i = 0; i < 40; i++) {
            tied[i] = (i % 3 == 0 ? -1 : 1) * (1 + i / 4);
        }
        double[] ranks = new org.apache.commons.math3.stat.ranking.NaturalRanking().rank(
                java.util.Arrays.stream(tied).map(Math::abs).toArray());
        double wPlus = 0;
        for (int i = 0; i < 40; i++) {
            wPlus += tied[i] > 0 ? ranks[i] : 0;
        }
        double var = 40 * 41 * 81 / 24.0 - 10 * (64 - 4) / 48.0; // ten groups of four ties
        double zt = (wPlus - 410 - 0.5 * Math.signum(wPlus - 410)) / Math.sqrt(var);
        assertEquals(2 * new org.apache.commons.math3.distribution.NormalDistribution().cumulativeProbability(-Math.abs(zt)),
                Statistics.wilcoxonSignedRankP(tied, new double[40]), 1e-12);
    }

    @Test
    void wilcoxonDropsZerosAndNonFinite() {
        double[] a = {2, 3, 4, 5, 6};
        double[] b = {1, 1, 1, 1, 1};
        double[] a2 = {2, 7, 3, 4, Double.NaN, 5, 6, 9};
        double[] b2 = {1, 7, 1, 1, 1, 1, 1, Double.NEGATIVE_INFINITY};
        assertEquals(Statistics.wilcoxonSignedRankP(a, b), Statistics.wilcoxonSignedRankP(a2, b2), 1e-15);
        assertEquals(1.0, Statistics.wilcoxonSignedRankP(new double[] {1, 2, 3}, new double[] {1, 2, 3}));
        assertTrue(Double.isNaN(Statistics.wilcoxonSignedRankP(new double[] {Double.NaN}, new double[] {1})));
        assertThrows(IllegalArgumentException.class, () -> Statistics.wilcoxonSignedRankP(new double[] {1}, new double[] {}));
    }

    private static double pearson(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
