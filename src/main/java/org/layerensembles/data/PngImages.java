package org.layerensembles.data;

import java.io.IOException;
import java.nio.file.Path;

/** Writing results as 8-bit grey PNG files (atomically): label maps and min-max scaled maps. */
public final class PngImages {
    private PngImages() {
    }

    /** A label map [H, W] as grey levels: binary foreground 255, otherwise the class index itself. */
    public static void writeLabels(Path file, int[] labels, int height, int width, int classes) throws IOException {
        byte[] grey = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            grey[i] = (byte) (classes == 2 ? (labels[i] > 0 ? 255 : 0) : labels[i]);
        }
        PngFiles.writeGrey8(file, grey, height, width);
    }

    /** A float map [H, W] min-max scaled to 0..255. */
    public static void writeScaled(Path file, float[] values, int height, int width) throws IOException {
        PngFiles.writeGrey8(file, ImageMath.toGrey8(values), height, width);
    }
}
