package org.layerensembles.report;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;
import org.apache.commons.math3.stat.inference.WilcoxonSignedRankTest;

import java.util.Arrays;

/**
 * The statistics of the evaluation report (METHOD.md §6): Spearman rank correlation and the
 * paired two-sided Wilcoxon signed-rank test, both from Apache Commons Math 3.
 */
public final class Statistics {

    /** Largest sample size for which {@link #wilcoxonSignedRankP} uses the exact null distribution. */
    public static final int WILCOXON_EXACT_MAX_N = 30;

    private Statistics() {
    }

    /**
     * Spearman rank correlation of paired samples (commons-math3 {@link SpearmansCorrelation}: the
     * Pearson correlation of the ranks, ties given their average rank).
     *
     * <p>Pairs in which either value is NaN or infinite are dropped first. Returns NaN when fewer
     * than 3 pairs remain, or when one of the remaining samples is constant (the correlation is
     * undefined then).
     *
     * @throws IllegalArgumentException if the arrays differ in length
     */
    public static double spearman(double[] x, double[] y) {
        double[][] p = finitePairs(x, y);
        if (p[0].length < 3 || isConstant(p[0]) || isConstant(p[1])) {
            return Double.NaN;
        }
        return new SpearmansCorrelation().correlation(p[0], p[1]);
    }

    /**
     * Two-sided p-value of the paired Wilcoxon signed-rank test of {@code a} against {@code b}.
     *
     * <p>Pairs in which either value is NaN or infinite are dropped, and so are zero differences
     * (Wilcoxon's convention; commons-math3 would otherwise count them as negative). The statistic
     * W = max(W+, W-) over the n remaining differences (ties in |a - b| get average ranks) comes from
     * commons-math3 {@link WilcoxonSignedRankTest#wilcoxonSignedRank}. For n ≤
     * {@value #WILCOXON_EXACT_MAX_N} the p-value is exact, 2·P(W' ≥ W) under the untied null
     * distribution of the rank sum of a random subset of {1..n} — the same value as commons-math3's
     * exact test, computed here by dynamic programming in O(n³) rather than by its 2ⁿ enumeration
     * (too slow at n = 30) — and capped at 1. For n > 30 it is the normal approximation with
     * tie-corrected variance and a continuity correction of 0.5 towards the mean (as SciPy's
     * {@code wilcoxon(method="approx", correction=True)} and R's {@code wilcox.test}). Not
     * commons-math3's own approximation: version 3.6.1 applies the continuity correction away from
     * the mean (z = (W_min - n(n+1)/4 - 0.5)/σ), which makes its p-values too small, and ignores
     * ties.
     *
     * <p>Returns NaN when no finite pair remains and 1 when every difference is zero.
     *
     * @throws IllegalArgumentException if the arrays differ in length
     */
    public static double wilcoxonSignedRankP(double[] a, double[] b) {
        double[][] p = finitePairs(a, b);
        if (p[0].length == 0) {
            return Double.NaN;
        }
        int n = 0;
        double[] x = new double[p[0].length];
        double[] y = new double[p[0].length];
        for (int i = 0; i < p[0].length; i++) {
            if (p[0][i] != p[1][i]) {
                x[n] = p[0][i];
                y[n] = p[1][i];
                n++;
            }
        }
        if (n == 0) {
            return 1.0;
        }
        x = Arrays.copyOf(x, n);
        y = Arrays.copyOf(y, n);
        if (n > WILCOXON_EXACT_MAX_N) {
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = x[i] - y[i];
            }
            return normalTwoSidedP(d);
        }
        double wMax = new WilcoxonSignedRankTest().wilcoxonSignedRank(x, y);
        return Math.min(1.0, exactTwoSidedP(wMax, n));
    }

    /**
     * Normal approximation of the two-sided signed-rank p-value of non-zero differences {@code d}:
     * z = (W+ - μ - 0.5·sign(W+ - μ))/σ, μ = n(n+1)/4, σ² = n(n+1)(2n+1)/24 - Σ(t³ - t)/48 over
     * groups of t tied |d|.
     */
    static double normalTwoSidedP(double[] d) {
        int n = d.length;
        double[] abs = new double[n];
        for (int i = 0; i < n; i++) {
            abs[i] = Math.abs(d[i]);
        }
        double[] ranks = new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE).rank(abs);
        double wPlus = 0;
        for (int i = 0; i < n; i++) {
            if (d[i] > 0) {
                wPlus += ranks[i];
            }
        }
        double[] sorted = abs.clone();
        Arrays.sort(sorted);
        double ties = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j < n && sorted[j] == sorted[i]) {
                j++;
            }
            double t = j - i;
            ties += t * t * t - t;
            i = j;
        }
        double mean = n * (n + 1) / 4.0;
        double variance = n * (n + 1) * (2.0 * n + 1) / 24.0 - ties / 48.0;
        if (variance <= 0) {
            return 1.0;
        }
        double z = (wPlus - mean - 0.5 * Math.signum(wPlus - mean)) / Math.sqrt(variance);
        return Math.min(1.0, 2 * new NormalDistribution().cumulativeProbability(-Math.abs(z)));
    }

    /** 2·P(S ≥ wMax) for S the sum of a uniformly random subset of {1..n}. */
    static double exactTwoSidedP(double wMax, int n) {
        int total = n * (n + 1) / 2;
        long[] count = new long[total + 1];
        count[0] = 1;
        for (int r = 1; r <= n; r++) {
            for (int s = total; s >= r; s--) {
                count[s] += count[s - r];
            }
        }
        long atLeast = 0;
        for (int s = 0; s <= total; s++) {
            if (s >= wMax) {
                atLeast += count[s];
            }
        }
        return 2.0 * atLeast / Math.pow(2, n);
    }

    private static double[][] finitePairs(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("paired samples differ in length: " + x.length
                    + " vs " + y.length);
        }
        double[] fx = new double[x.length];
        double[] fy = new double[y.length];
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                fx[n] = x[i];
                fy[n] = y[i];
                n++;
            }
        }
        return new double[][] {Arrays.copyOf(fx, n), Arrays.copyOf(fy, n)};
    }

    private static boolean isConstant(double[] v) {
        for (double d : v) {
            if (d != v[0]) {
                return false;
            }
        }
        return true;
    }
}
