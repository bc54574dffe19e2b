package org.layerensembles.report;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Quality-control curves (METHOD.md §6, paper Fig. 2): how many poor segmentations remain
 * unflagged when the most uncertain images are referred for review.
 */
public final class QualityControl {

    /** Number of points of a curve: f = linspace(0, 1, 50). */
    public static final int POINTS = 50;

    private QualityControl() {
    }

    /**
     * The quality-control curve of one method and one uncertainty measure.
     *
     * <p>Images are sorted most uncertain first (higher {@code uncertainty} = less certain; ties
     * keep their input order, +∞ is the most uncertain). For f_i = i/49, i = 0..49, the first
     * floor(N·f_i) images are flagged and the curve value is (number of unflagged images with
     * {@code dice < tau}) / N. The area is the trapezoid rule with dx = 1/49. Images whose
     * uncertainty or dice is NaN are dropped (N counts the remaining ones). AULA is a certainty:
     * pass {@code -AULA}.
     *
     * @throws IllegalArgumentException if the arrays differ in length or no image remains
     */
    public static QcCurve curve(double[] uncertainty, double[] dice, double tau) {
        if (uncertainty.length != dice.length) {
            throw new IllegalArgumentException("uncertainty and dice differ in length: "
                    + uncertainty.length + " vs " + dice.length);
        }
        int[] kept = IntStream.range(0, dice.length)
                .filter(i -> !Double.isNaN(uncertainty[i]) && !Double.isNaN(dice[i]))
                .toArray();
        int n = kept.length;
        if (n == 0) {
            throw new IllegalArgumentException("no image with a finite uncertainty and dice");
        }
        // Stable sort, most uncertain first.
        Integer[] order = Arrays.stream(kept).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> uncertainty[i]).reversed());
        boolean[] poorSorted = new boolean[n];
        int poor = 0;
        for (int j = 0; j < n; j++) {
            poorSorted[j] = dice[order[j]] < tau;
            if (poorSorted[j]) {
                poor++;
            }
        }
        // poorAfter[k] = number of poor images among sorted positions k..n-1.
        int[] poorAfter = new int[n + 1];
        for (int j = n - 1; j >= 0; j--) {
            poorAfter[j] = poorAfter[j + 1] + (poorSorted[j] ? 1 : 0);
        }
        double[] fractions = new double[POINTS];
        double[] remaining = new double[POINTS];
        double[] random = new double[POINTS];
        double[] ideal = new double[POINTS];
        double poorFraction = (double) poor / n;
        for (int i = 0; i < POINTS; i++) {
            fractions[i] = (double) i / (POINTS - 1);
            int flagged = (int) ((long) n * i / (POINTS - 1)); // exact floor(N·i/49)
            remaining[i] = (double) poorAfter[flagged] / n;
            random[i] = (1.0 - fractions[i]) * poorFraction;
            ideal[i] = (double) Math.max(0, poor - flagged) / n;
        }
        return new QcCurve(fractions, remaining, area(remaining), random, area(random), ideal,
                area(ideal));
    }

    /** Trapezoid area of a 50-point curve with dx = 1/49. */
    static double area(double[] y) {
        double sum = 0;
        for (int i = 0; i + 1 < y.length; i++) {
            sum += 0.5 * (y[i] + y[i + 1]);
        }
        return sum / (POINTS - 1);
    }
}
