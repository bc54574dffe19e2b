package org.layerensembles.data;

import org.joml.Matrix3x2f;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

/**
 * Random flips and a random affine transform (rotation, scale, translation), applied identically
 * to a sample's image and mask: the image with bilinear interpolation, the mask with nearest
 * neighbour (so it keeps exact class indices).
 *
 * <p><b>Geometry.</b> Pixel {@code (x, y)} is the pixel's centre; x runs along the width
 * (columns), y along the height (rows, downwards). The forward transform maps an input point
 * {@code p} to {@code c + t + R(θ) S(s) F (p - c)}, with {@code c = ((W-1)/2, (H-1)/2)} the
 * image centre, {@code F} the flips ({@code diag(±1, ±1)}), {@code S} the scale, {@code R} the
 * rotation and {@code t} the translation in pixels. It is built as a JOML {@link Matrix3x2f} and
 * inverted; each output pixel is filled from the input at the inverse-mapped point. Because y
 * points down, a positive angle turns the picture <i>clockwise</i> as displayed: +90° on a square
 * image equals a transpose followed by a horizontal flip. Flips alone, or no transform, are exact
 * copies (the matrix entries are exactly 0, ±1 and integers).
 *
 * <p><b>Outside the input</b>: {@link Padding#ZERO} fills the image with 0 (on a z-normalised
 * image that is its mean intensity) and the mask with 0 (background); {@link Padding#BORDER}
 * replicates the nearest edge pixel of both. The image is not normalised again afterwards.
 *
 * <p><b>Randomness</b>: {@link #draw} takes 6 draws from the given {@link SeededRandom}
 * (reserving them, so consecutive calls differ); the same generator state gives the same
 * transform. For results independent of the order in which samples are processed, pass a
 * generator forked per sample (e.g. {@code epochRandom.fork(sampleIndex)}).
 */
public final class Augment {

    /** What to do with points that fall outside the input image. */
    public enum Padding {
        /** Image 0, mask 0 (background). */
        ZERO,
        /** The nearest edge pixel, for both image and mask. */
        BORDER
    }

    /**
     * The random ranges.
     *
     * @param flipHorizontal     probability of mirroring left-right, in [0, 1] (default 0.5)
     * @param flipVertical       probability of mirroring top-bottom, in [0, 1] (default 0.5)
     * @param maxRotationDegrees rotation uniform in [-max, max] degrees, max >= 0 (default 15, as
     *                           in the paper)
     * @param minScale           scale uniform in [minScale, maxScale], both > 0 (default 0.9)
     * @param maxScale           (default 1.1)
     * @param maxTranslation     translation along each axis uniform in [-max, max] times that
     *                           axis' size, in [0, 1) (default 0.05)
     * @param padding            fill outside the input (default {@link Padding#ZERO})
     */
    public record Config(double flipHorizontal, double flipVertical, double maxRotationDegrees, double minScale,
                         double maxScale, double maxTranslation, Padding padding) {
        public Config {
            checkProbability("flipHorizontal", flipHorizontal);
            checkProbability("flipVertical", flipVertical);
            if (!(maxRotationDegrees >= 0 && maxRotationDegrees <= 180)) {
                throw new IllegalArgumentException("maxRotationDegrees must be in [0, 180], got " + maxRotationDegrees);
            }
            if (!(minScale > 0 && minScale <= maxScale && Double.isFinite(maxScale))) {
                throw new IllegalArgumentException("scale range must satisfy 0 < min <= max, got [" + minScale + ", "
                        + maxScale + "]");
            }
            if (!(maxTranslation >= 0 && maxTranslation < 1)) {
                throw new IllegalArgumentException("maxTranslation must be in [0, 1), got " + maxTranslation);
            }
            java.util.Objects.requireNonNull(padding, "padding");
        }

        /** Flips with probability 0.5 each, rotation ±15°, scale [0.9, 1.1], translation ±5%, zero padding. */
        public static Config defaults() {
            return new Config(0.5, 0.5, 15, 0.9, 1.1, 0.05, Padding.ZERO);
        }

        /** Flips only (no affine part). */
        public static Config flipsOnly() {
            return new Config(0.5, 0.5, 0, 1, 1, 0, Padding.ZERO);
        }

        private static void checkProbability(String what, double p) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(what + " must be a probability in [0, 1], got " + p);
            }
        }
    }

    /**
     * One concrete transform.
     *
     * @param flipHorizontal  mirror left-right (x to W-1-x)
     * @param flipVertical    mirror top-bottom (y to H-1-y)
     * @param rotationDegrees clockwise as displayed (see the class comment)
     * @param scale           > 1 enlarges
     * @param translateX      pixels along x (right)
     * @param translateY      pixels along y (down)
     */
    public record Transform(boolean flipHorizontal, boolean flipVertical, double rotationDegrees, double scale,
                            double translateX, double translateY) {
        public static final Transform IDENTITY = new Transform(false, false, 0, 1, 0, 0);

        /** The forward map (input point to output point) for an image of the given size. */
        public Matrix3x2f forward(int height, int width) {
            float cx = (width - 1) / 2f;
            float cy = (height - 1) / 2f;
            return new Matrix3x2f()
                    .translate((float) (cx + translateX), (float) (cy + translateY))
                    .rotate((float) Math.toRadians(rotationDegrees))
                    .scale((float) (scale * (flipHorizontal ? -1 : 1)), (float) (scale * (flipVertical ? -1 : 1)))
                    .translate(-cx, -cy);
        }

        /** The inverse map (output pixel to input point) used for resampling. */
        public Matrix3x2f inverse(int height, int width) {
            return forward(height, width).invert(new Matrix3x2f());
        }
    }

    private final Config config;

    public Augment(Config config) {
        this.config = java.util.Objects.requireNonNull(config, "config");
    }

    public Config config() {
        return config;
    }

    /** Draws a transform for an image of the given size (6 draws from {@code rng}). */
    public Transform draw(SeededRandom rng, int height, int width) {
        long first = rng.reserve(6);
        long seed = rng.seed();
        boolean fh = SeededRandom.uniform(seed, first) < config.flipHorizontal();
        boolean fv = SeededRandom.uniform(seed, first + 1) < config.flipVertical();
        double angle = symmetric(config.maxRotationDegrees(), SeededRandom.uniform(seed, first + 2));
        double scale = config.minScale() + (config.maxScale() - config.minScale()) * SeededRandom.uniform(seed, first + 3);
        double tx = symmetric(config.maxTranslation() * width, SeededRandom.uniform(seed, first + 4));
        double ty = symmetric(config.maxTranslation() * height, SeededRandom.uniform(seed, first + 5));
        return new Transform(fh, fv, angle, scale, tx, ty);
    }

    /** Uniform in [-max, max] from a uniform u in [0, 1); exactly +0 when max is 0. */
    private static double symmetric(double max, double u) {
        return max == 0 ? 0 : max * (2 * u - 1);
    }

    /** A randomly transformed copy of {@code sample} (same name and difficulty). */
    public Sample apply(Sample sample, SeededRandom rng) {
        int[] shape = sample.image().shape();
        return apply(sample, draw(rng, shape[1], shape[2]), config.padding());
    }

    /**
     * {@code sample} transformed by {@code t}: image float32 [C, H, W] (every channel alike,
     * bilinear), mask int32 [H, W] (nearest); new arrays in the current memory scope.
     */
    public static Sample apply(Sample sample, Transform t, Padding padding) {
        NDArray image = sample.image();
        NDArray mask = sample.mask();
        if (image.rank() != 3 || image.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("sample " + sample.name() + ": image must be float32 [C, H, W], got "
                    + image);
        }
        int c = image.size(0);
        int h = image.size(1);
        int w = image.size(2);
        if (mask.rank() != 2 || mask.dtype() != DType.INT32 || mask.size(0) != h || mask.size(1) != w) {
            throw new IllegalArgumentException("sample " + sample.name() + ": mask must be int32 [" + h + ", " + w
                    + "], got " + mask);
        }
        Matrix3x2f inv = t.inverse(h, w);
        float[] src = image.toFloatArray();
        float[] dst = new float[src.length];
        for (int ch = 0; ch < c; ch++) {
            warpBilinear(src, dst, ch * h * w, h, w, inv, padding);
        }
        int[] m = warpNearest(mask.toIntArray(), h, w, inv, padding);
        return new Sample(sample.name(), NDArrays.of(dst, c, h, w), NDArrays.of(m, h, w), sample.difficulty());
    }

    /** Bilinear resampling of one plane at {@code offset} of {@code src} into the same place of {@code dst}. */
    static void warpBilinear(float[] src, float[] dst, int offset, int h, int w, Matrix3x2f inv, Padding padding) {
        boolean border = padding == Padding.BORDER;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float sx = inv.m00() * x + inv.m10() * y + inv.m20();
                float sy = inv.m01() * x + inv.m11() * y + inv.m21();
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                float fx = sx - x0;
                float fy = sy - y0;
                float v00 = pixel(src, offset, h, w, y0, x0, border);
                float v01 = pixel(src, offset, h, w, y0, x0 + 1, border);
                float v10 = pixel(src, offset, h, w, y0 + 1, x0, border);
                float v11 = pixel(src, offset, h, w, y0 + 1, x0 + 1, border);
                float top = fx == 0 ? v00 : v00 * (1 - fx) + v01 * fx;
                float bottom = fx == 0 ? v10 : v10 * (1 - fx) + v11 * fx;
                dst[offset + y * w + x] = fy == 0 ? top : top * (1 - fy) + bottom * fy;
            }
        }
    }

    private static float pixel(float[] src, int offset, int h, int w, int y, int x, boolean border) {
        if (x < 0 || x >= w || y < 0 || y >= h) {
            if (!border) {
                return 0f;
            }
            x = Math.clamp(x, 0, w - 1);
            y = Math.clamp(y, 0, h - 1);
        }
        return src[offset + y * w + x];
    }

    /** Nearest-neighbour resampling (ties round up, as {@link Math#round(float)}). */
    static int[] warpNearest(int[] src, int h, int w, Matrix3x2f inv, Padding padding) {
        int[] dst = new int[src.length];
        boolean border = padding == Padding.BORDER;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float sx = inv.m00() * x + inv.m10() * y + inv.m20();
                float sy = inv.m01() * x + inv.m11() * y + inv.m21();
                int ix = Math.round(sx);
                int iy = Math.round(sy);
                if (ix < 0 || ix >= w || iy < 0 || iy >= h) {
                    if (!border) {
                        continue;
                    }
                    ix = Math.clamp(ix, 0, w - 1);
                    iy = Math.clamp(iy, 0, h - 1);
                }
                dst[y * w + x] = src[iy * w + ix];
            }
        }
        return dst;
    }
}
