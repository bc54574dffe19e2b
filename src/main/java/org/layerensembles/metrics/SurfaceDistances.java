package org.layerensembles.metrics;

/**
 * Hausdorff distance, its 95th-percentile variant and the modified Hausdorff distance of one
 * prediction against one ground truth, in the physical units of the spacing (definitions in
 * {@link SurfaceDistance}). All three are 0 when both masks are empty and {@code +Infinity} when
 * exactly one is.
 */
public record SurfaceDistances(double hd, double hd95, double mhd) {
    /** The value for two empty masks. */
    public static final SurfaceDistances BOTH_EMPTY = new SurfaceDistances(0, 0, 0);
    /** The value when exactly one mask is empty. */
    public static final SurfaceDistances ONE_EMPTY = new SurfaceDistances(
            Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);

    /** Whether all three are finite (false exactly when one mask was empty). */
    public boolean isFinite() {
        return Double.isFinite(hd) && Double.isFinite(hd95) && Double.isFinite(mhd);
    }
}
