/**
 * Evaluation metrics (METHOD.md §6), in plain Java on {@code int[]}, {@code boolean[]},
 * {@code double[]} and host {@link org.layerensembles.core.NDArray}s; nothing here touches
 * autograd.
 *
 * <ul>
 *   <li>{@link org.layerensembles.metrics.Overlap}: Dice similarity coefficient and the masks it
 *       takes.
 *   <li>{@link org.layerensembles.metrics.DistanceTransform}: exact (squared) Euclidean distance
 *       transform with anisotropic spacing (Felzenszwalb-Huttenlocher, separable).
 *   <li>{@link org.layerensembles.metrics.SurfaceDistance}: Hausdorff distance, HD95 and the
 *       modified Hausdorff distance of Dubuisson and Jain, all in physical units and all through
 *       distance transforms (no pairwise loops).
 *   <li>{@link org.layerensembles.metrics.Calibration}: NLL, reliability bins, ECE, adaptive
 *       (equal-mass) ECE and the multi-class Brier score, exact over every pixel.
 * </ul>
 *
 * <p>Layout conventions: a mask or label map is row-major, the last axis fastest ({@code [H, W]}
 * or {@code [D, H, W]}, several images one after another as {@code [N, H, W]}); a spacing array
 * lists the physical size of one step along each axis in the same order as the dimensions
 * ({@code [sy, sx]} or {@code [sz, sy, sx]}).
 */
package org.layerensembles.metrics;
