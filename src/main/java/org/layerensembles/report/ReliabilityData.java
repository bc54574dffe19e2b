package org.layerensembles.report;

import java.util.Objects;

/**
 * Reliability-diagram bins of one method (METHOD.md §6, calibration): per confidence bin, the mean
 * confidence, the accuracy and the number of pixels. Empty bins ({@code count == 0}) are skipped
 * when plotting.
 */
public record ReliabilityData(double[] meanConfidence, double[] accuracy, long[] count) {

    public ReliabilityData {
        Objects.requireNonNull(meanConfidence, "meanConfidence");
        Objects.requireNonNull(accuracy, "accuracy");
        Objects.requireNonNull(count, "count");
        if (meanConfidence.length != accuracy.length || accuracy.length != count.length) {
            throw new IllegalArgumentException("reliability bins differ in length: "
                    + meanConfidence.length + ", " + accuracy.length + ", " + count.length);
        }
    }
}
