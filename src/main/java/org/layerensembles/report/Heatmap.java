package org.layerensembles.report;

import java.util.Objects;

/**
 * One case for the uncertainty-heatmap figure: a single-channel image, a per-pixel uncertainty
 * map (e.g. entropy) and the predicted label map, all row-major [height, width].
 *
 * @param name        case (image) name, shown above its row
 * @param image       image intensities, any range (min-max normalised for display)
 * @param uncertainty uncertainty map, any range (min-max normalised for display)
 * @param prediction  predicted labels (0 = background); its label boundaries are drawn
 * @param width       width in pixels
 * @param height      height in pixels
 */
public record Heatmap(String name, float[] image, float[] uncertainty, int[] prediction, int width,
                      int height) {

    public Heatmap {
        Objects.requireNonNull(name, "name");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("bad heatmap size " + width + "x" + height);
        }
        int n = width * height;
        if (image.length != n || uncertainty.length != n || prediction.length != n) {
            throw new IllegalArgumentException("heatmap arrays must have width*height = " + n
                    + " entries: image " + image.length + ", uncertainty " + uncertainty.length
                    + ", prediction " + prediction.length);
        }
    }
}
