package org.layerensembles.data;

/** Per-image pixel arithmetic shared by the datasets (package-private). */
final class ImageMath {
    /** Below this standard deviation an image counts as constant and normalises to zeros. */
    static final double MIN_STD = 1e-8;

    private ImageMath() {
    }

    /**
     * Z-normalises {@code pixels} in place over all of its values: {@code (x - mean) / std}, with
     * the population standard deviation, both computed in double. A constant image (std below
     * {@link #MIN_STD}) becomes all zeros.
     */
    static void zNormalise(float[] pixels) {
        if (pixels.length == 0) {
            return;
        }
        double sum = 0;
        for (float v : pixels) {
            sum += v;
        }
        double mean = sum / pixels.length;
        double sq = 0;
        for (float v : pixels) {
            double d = v - mean;
            sq += d * d;
        }
        double std = Math.sqrt(sq / pixels.length);
        if (!(std >= MIN_STD)) {
            java.util.Arrays.fill(pixels, 0f);
            return;
        }
        double inv = 1.0 / std;
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) ((pixels[i] - mean) * inv);
        }
    }

    /**
     * Min-max scales {@code pixels} to 8-bit grey levels 0..255 (rounded to nearest); a constant
     * image becomes all zeros.
     */
    static byte[] toGrey8(float[] pixels) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : pixels) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        byte[] out = new byte[pixels.length];
        double range = (double) max - min;
        if (!(range > 0)) {
            return out;
        }
        double k = 255.0 / range;
        for (int i = 0; i < pixels.length; i++) {
            long q = Math.round((pixels[i] - (double) min) * k);
            out[i] = (byte) Math.clamp(q, 0, 255);
        }
        return out;
    }
}
