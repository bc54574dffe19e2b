package org.layerensembles.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.stream.IntStream;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

/**
 * A synthetic, breast-mass-like binary segmentation dataset generated from a seed: the data the
 * tests, examples and benchmarks use when no real data is at hand.
 *
 * <p>Each sample is a square grey image of one lesion on a textured background:
 * <ul>
 * <li><b>Background</b>: value noise at four scales (cells of size/2, /4, /8, /16 pixels,
 * smoothstep-interpolated, amplitudes 1, 0.7, 0.45, 0.25) plus a gentle linear density gradient,
 * standardised to mean 0 and standard deviation 1: something like fibroglandular tissue.</li>
 * <li><b>Lesion</b>: a star-shaped region about a centre near the image centre, with outline
 * {@code r(θ) = r0 (1 + Σ_{k=2..5} a_k cos(kθ + φ_k))} (clamped to at least {@code 0.35 r0}),
 * {@code r0} uniform in [0.12, 0.24] x size (so the lesion spans a quarter to a half of the
 * image, as in the paper's BCDR crops), harmonic amplitudes growing with difficulty. The mask
 * is {@code ρ < r(θ)}. Its intensity is {@code contrast x sigmoid(-(ρ - r(θ)) / blur)} with a
 * faint internal texture: the half-intensity line is the mask boundary.</li>
 * <li><b>Distractors</b>: bright Gaussian blobs kept off the lesion and bright thin line
 * segments (ducts, vessels) that may cross it; they are not in the mask.</li>
 * <li><b>Noise</b>: additive Gaussian.</li>
 * </ul>
 *
 * <p>A per-sample <b>difficulty</b> {@code d} in [minDifficulty, maxDifficulty] drives the
 * generation from easy to hard: contrast (in background standard deviations) {@code 3.4 - 2.4 d}
 * (x a random factor in [0.85, 1.15]), boundary blur (sigmoid scale) {@code 0.35 + 1.2 d}
 * pixels, noise standard deviation {@code 0.08 + 0.4 d}, outline irregularity
 * {@code 0.12 + 0.18 d}, about {@code 4 d} blobs and {@code 3 d} lines, blobs and lines as
 * bright as 0.4 to 1.1 times the lesion. Geometry scales with the image size (figures above are
 * for 64 pixels).
 *
 * <p>The image is z-normalised per image (float32 [1, size, size]); the mask is int32
 * [size, size] in {0, 1}. <b>Determinism</b>: sample {@code i} is a pure function of
 * {@code (seed, i, size, difficulty range)} — its random streams are
 * {@code new SeededRandom(seed).fork(i)} and forks of it, one per part of the picture, and all
 * transcendental functions are {@link StrictMath} — so the same seed gives the same bytes on any
 * machine, the samples of a dataset of 10 are the first 10 of one of 1000, and samples may be
 * generated in parallel. Nothing is cached: {@link #get} generates the sample again each time
 * (about 0.6 ms at 64 pixels, 7 ms at 256, on one core) and returns new arrays owned by the current
 * {@link org.layerensembles.core.memory.MemoryScope} (garbage-collected when none is open).
 */
public final class SyntheticMasses implements SegmentationDataset {

    /**
     * What to generate.
     *
     * @param count         number of samples, at least 0
     * @param size          image height and width in pixels, at least 16 (default 64)
     * @param seed          seed of every random draw
     * @param minDifficulty lower end of the per-sample difficulty, in [0, 1] (default 0)
     * @param maxDifficulty upper end of the per-sample difficulty, in [minDifficulty, 1]
     *                      (default 1); difficulty is uniform in the range
     */
    public record Config(int count, int size, long seed, double minDifficulty, double maxDifficulty) {
        public static final int DEFAULT_SIZE = 64;
        public static final int MIN_SIZE = 16;

        public Config {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
            if (size < MIN_SIZE) {
                throw new IllegalArgumentException("size must be >= " + MIN_SIZE + ", got " + size);
            }
            if (!(minDifficulty >= 0 && minDifficulty <= maxDifficulty && maxDifficulty <= 1)) {
                throw new IllegalArgumentException("difficulty range must satisfy 0 <= min <= max <= 1, got ["
                        + minDifficulty + ", " + maxDifficulty + "]");
            }
        }

        /** {@code count} samples of 64 x 64 pixels, difficulty uniform in [0, 1]. */
        public static Config of(int count, long seed) {
            return new Config(count, DEFAULT_SIZE, seed, 0, 1);
        }

        public Config withCount(int newCount) {
            return new Config(newCount, size, seed, minDifficulty, maxDifficulty);
        }

        public Config withSize(int newSize) {
            return new Config(count, newSize, seed, minDifficulty, maxDifficulty);
        }

        public Config withDifficulty(double min, double max) {
            return new Config(count, size, seed, min, max);
        }
    }

    /** One generated sample as plain Java arrays (package-private: the writer and tests use it). */
    record Pixels(float[] image, int[] mask, double difficulty) {
    }

    // Labels of the per-sample random streams.
    private static final long DIFFICULTY = 1;
    private static final long BACKGROUND = 2;
    private static final long LESION = 3;
    private static final long TEXTURE = 4;
    private static final long BLOBS = 5;
    private static final long LINES = 6;
    private static final long NOISE = 7;
    private static final long CONTRAST = 8;

    private static final double[] OCTAVE_AMPLITUDES = {1.0, 0.7, 0.45, 0.25};
    private static final int HARMONICS_FROM = 2;
    private static final int HARMONICS_TO = 5;

    private final Config config;
    private final SeededRandom root;
    private final int nameDigits;

    public SyntheticMasses(Config config) {
        this.config = java.util.Objects.requireNonNull(config, "config");
        this.root = new SeededRandom(config.seed());
        this.nameDigits = Math.max(5, Integer.toString(Math.max(0, config.count() - 1)).length());
    }

    public Config config() {
        return config;
    }

    @Override
    public int size() {
        return config.count();
    }

    @Override
    public int classes() {
        return 2;
    }

    @Override
    public Sample get(int index) {
        Pixels p = generate(index);
        int s = config.size();
        return new Sample(name(index), NDArrays.of(p.image(), 1, s, s), NDArrays.of(p.mask(), s, s), p.difficulty());
    }

    /** {@code mass_00042}: the index zero-padded to at least 5 digits, so names sort by index. */
    public String name(int index) {
        checkIndex(index);
        return "mass_" + "0".repeat(Math.max(0, nameDigits - Integer.toString(index).length())) + index;
    }

    /** The difficulty of sample {@code index} (cheap: no picture is generated). */
    public double difficulty(int index) {
        checkIndex(index);
        return difficultyOf(root.fork(index));
    }

    private double difficultyOf(SeededRandom sample) {
        double u = SeededRandom.uniform(sample.fork(DIFFICULTY).seed(), 0);
        return config.minDifficulty() + (config.maxDifficulty() - config.minDifficulty()) * u;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= config.count()) {
            throw new IndexOutOfBoundsException("sample " + index + " of a dataset of " + config.count());
        }
    }

    /**
     * Writes the dataset in the METHOD.md §8 layout: {@code root/images/NAME.png} (8-bit grey,
     * the z-normalised image min-max scaled to 0..255) and {@code root/masks/NAME.png} (8-bit
     * grey holding the class index, 0 or 1), plus {@code root/difficulty.csv} ({@code name,difficulty}
     * per line after a header; not part of §8, readers may ignore it). Every file is written
     * atomically (a hidden temporary file renamed into place); samples are generated and written
     * in parallel. Existing files of the same names are replaced.
     */
    public void writePngs(Path root) throws IOException {
        Path images = root.resolve("images");
        Path masks = root.resolve("masks");
        Files.createDirectories(images);
        Files.createDirectories(masks);
        int s = config.size();
        try {
            IntStream.range(0, config.count()).parallel().forEach(i -> {
                Pixels p = generate(i);
                byte[] maskBytes = new byte[p.mask().length];
                for (int k = 0; k < maskBytes.length; k++) {
                    maskBytes[k] = (byte) p.mask()[k];
                }
                try {
                    PngFiles.writeGrey8(images.resolve(name(i) + ".png"), ImageMath.toGrey8(p.image()), s, s);
                    PngFiles.writeGrey8(masks.resolve(name(i) + ".png"), maskBytes, s, s);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        StringBuilder csv = new StringBuilder("name,difficulty\n");
        for (int i = 0; i < config.count(); i++) {
            csv.append(name(i)).append(',').append(String.format(Locale.ROOT, "%.6f", difficulty(i))).append('\n');
        }
        Path csvFile = root.resolve("difficulty.csv");
        Path tmp = Files.createTempFile(root, ".difficulty.csv.", ".tmp");
        try {
            Files.writeString(tmp, csv, StandardCharsets.UTF_8);
            Files.move(tmp, csvFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ---- generation

    /** Sample {@code index} as Java arrays: image [size*size] z-normalised, mask [size*size]. */
    Pixels generate(int index) {
        checkIndex(index);
        SeededRandom sample = root.fork(index);
        double d = difficultyOf(sample);
        int n = config.size();
        double scale = n / 64.0;
        double[] img = new double[n * n];

        // Background tissue: multi-scale value noise plus a density gradient, standardised.
        Draws bg = new Draws(sample.fork(BACKGROUND));
        for (int o = 0; o < OCTAVE_AMPLITUDES.length; o++) {
            double cell = Math.max(2.0, n / (double) (2 << o));
            addValueNoise(img, n, cell, OCTAVE_AMPLITUDES[o], bg);
        }
        double gAngle = bg.uniform(0, 2 * Math.PI);
        double gAmp = bg.uniform(0, 0.8) / n;
        double gc = StrictMath.cos(gAngle) * gAmp;
        double gs = StrictMath.sin(gAngle) * gAmp;
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                img[y * n + x] += gc * (x - n / 2.0) + gs * (y - n / 2.0);
            }
        }
        standardise(img);

        Draws cd = new Draws(sample.fork(CONTRAST));
        double contrast = (3.4 - 2.4 * d) * cd.uniform(0.85, 1.15);
        double blur = (0.35 + 1.2 * d) * scale;
        double noiseStd = 0.08 + 0.4 * d;
        double irregularity = 0.12 + 0.18 * d;

        // Lesion outline r(θ) = r0 (1 + Σ a_k cos(kθ + φ_k)).
        Draws ls = new Draws(sample.fork(LESION));
        double r0 = n * ls.uniform(0.12, 0.24);
        int harmonics = HARMONICS_TO - HARMONICS_FROM + 1;
        double[] amp = new double[harmonics];
        double[] cosPhase = new double[harmonics];
        double[] sinPhase = new double[harmonics];
        for (int h = 0; h < harmonics; h++) {
            int k = HARMONICS_FROM + h;
            amp[h] = irregularity * ls.uniform() * 2.0 / k;
            double phase = ls.uniform(0, 2 * Math.PI);
            cosPhase[h] = StrictMath.cos(phase);
            sinPhase[h] = StrictMath.sin(phase);
        }
        double rMax = 0;
        for (int t = 0; t < 360; t++) {
            double theta = t * Math.PI / 180;
            rMax = Math.max(rMax, radius(StrictMath.cos(theta), StrictMath.sin(theta), r0, amp, cosPhase, sinPhase));
        }
        double room = Math.max(0, n / 2.0 - rMax - 3 * scale);
        double cx = (n - 1) / 2.0 + ls.uniform(-0.5, 0.5) * room;
        double cy = (n - 1) / 2.0 + ls.uniform(-0.5, 0.5) * room;

        double[] texture = new double[n * n];
        addValueNoise(texture, n, Math.max(2.0, n / 8.0), 1.0, new Draws(sample.fork(TEXTURE)));
        standardise(texture);

        int[] mask = new int[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double dx = x - cx;
                double dy = y - cy;
                double rho = Math.sqrt(dx * dx + dy * dy);
                double r = rho > 0 ? radius(dx / rho, dy / rho, r0, amp, cosPhase, sinPhase) : 0;
                double signed = rho - r;
                int k = y * n + x;
                mask[k] = signed < 0 ? 1 : 0;
                double profile = 1.0 / (1.0 + StrictMath.exp(signed / blur));
                img[k] += contrast * profile * (1.0 + 0.15 * texture[k]);
            }
        }

        // Distractor blobs, kept off the lesion.
        Draws bl = new Draws(sample.fork(BLOBS));
        int blobs = (int) Math.floor(4 * d + bl.uniform());
        for (int b = 0; b < blobs; b++) {
            double sigma = bl.uniform(1.2, 3.5) * scale;
            double a = contrast * bl.uniform(0.5, 1.1);
            for (int attempt = 0; attempt < 20; attempt++) {
                double bx = bl.uniform(0, n - 1);
                double by = bl.uniform(0, n - 1);
                double dist = Math.sqrt((bx - cx) * (bx - cx) + (by - cy) * (by - cy));
                double edge = dist > 0 ? radius((bx - cx) / dist, (by - cy) / dist, r0, amp, cosPhase, sinPhase) : r0;
                if (dist > edge + 2.5 * sigma + 2 * scale) {
                    addBlob(img, n, bx, by, sigma, a);
                    break;
                }
            }
        }

        // Distractor lines (ducts, vessels): segments with a Gaussian cross-section.
        Draws ln = new Draws(sample.fork(LINES));
        int lines = (int) Math.floor(3 * d + ln.uniform());
        for (int l = 0; l < lines; l++) {
            double mx = ln.uniform(0, n - 1);
            double my = ln.uniform(0, n - 1);
            double angle = ln.uniform(0, Math.PI);
            double half = ln.uniform(0.15, 0.4) * n;
            double width = ln.uniform(0.6, 1.3) * scale;
            double a = contrast * ln.uniform(0.4, 0.9);
            addSegment(img, n, mx, my, StrictMath.cos(angle), StrictMath.sin(angle), half, width, a);
        }

        Draws nz = new Draws(sample.fork(NOISE));
        for (int k = 0; k < img.length; k++) {
            img[k] += noiseStd * nz.normal();
        }

        float[] image = new float[n * n];
        for (int k = 0; k < image.length; k++) {
            image[k] = (float) img[k];
        }
        ImageMath.zNormalise(image);
        return new Pixels(image, mask, d);
    }

    /**
     * The outline radius in direction (cos θ, sin θ): {@code r0 max(0.35, 1 + Σ a_k cos(kθ + φ_k))},
     * with cos kθ and sin kθ by repeated complex multiplication (plain arithmetic: no
     * per-pixel trigonometry, same bits everywhere).
     */
    private static double radius(double cos, double sin, double r0, double[] amp, double[] cosPhase,
                                 double[] sinPhase) {
        double ck = cos;
        double sk = sin;
        for (int k = 1; k < HARMONICS_FROM; k++) {
            double c = ck * cos - sk * sin;
            sk = sk * cos + ck * sin;
            ck = c;
        }
        double sum = 1;
        for (int h = 0; h < amp.length; h++) {
            sum += amp[h] * (ck * cosPhase[h] - sk * sinPhase[h]);
            double c = ck * cos - sk * sin;
            sk = sk * cos + ck * sin;
            ck = c;
        }
        return r0 * Math.max(0.35, sum);
    }

    /** Adds value noise: normal values on a grid of the given cell size, smoothstep-interpolated. */
    private static void addValueNoise(double[] out, int n, double cell, double amplitude, Draws draws) {
        int nodes = (int) Math.ceil(n / cell) + 2;
        double[] grid = new double[nodes * nodes];
        for (int k = 0; k < grid.length; k++) {
            grid[k] = draws.normal();
        }
        double ox = draws.uniform(0, cell);
        double oy = draws.uniform(0, cell);
        for (int y = 0; y < n; y++) {
            double gy = (y + oy) / cell;
            int iy = (int) gy;
            double ty = smooth(gy - iy);
            for (int x = 0; x < n; x++) {
                double gx = (x + ox) / cell;
                int ix = (int) gx;
                double tx = smooth(gx - ix);
                double v00 = grid[iy * nodes + ix];
                double v01 = grid[iy * nodes + ix + 1];
                double v10 = grid[(iy + 1) * nodes + ix];
                double v11 = grid[(iy + 1) * nodes + ix + 1];
                double top = v00 + (v01 - v00) * tx;
                double bottom = v10 + (v11 - v10) * tx;
                out[y * n + x] += amplitude * (top + (bottom - top) * ty);
            }
        }
    }

    private static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }

    private static void standardise(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (double x : v) {
            sq += (x - mean) * (x - mean);
        }
        double std = Math.sqrt(sq / v.length);
        double inv = std > 1e-12 ? 1 / std : 0;
        for (int k = 0; k < v.length; k++) {
            v[k] = (v[k] - mean) * inv;
        }
    }

    private static void addBlob(double[] img, int n, double bx, double by, double sigma, double amplitude) {
        int reach = (int) Math.ceil(3.5 * sigma);
        int x0 = Math.max(0, (int) Math.floor(bx) - reach);
        int x1 = Math.min(n - 1, (int) Math.ceil(bx) + reach);
        int y0 = Math.max(0, (int) Math.floor(by) - reach);
        int y1 = Math.min(n - 1, (int) Math.ceil(by) + reach);
        double inv = 1 / (2 * sigma * sigma);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double r2 = (x - bx) * (x - bx) + (y - by) * (y - by);
                img[y * n + x] += amplitude * StrictMath.exp(-r2 * inv);
            }
        }
    }

    private static void addSegment(double[] img, int n, double mx, double my, double ux, double uy, double half,
                                   double width, double amplitude) {
        double inv = 1 / (2 * width * width);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double px = x - mx;
                double py = y - my;
                double along = Math.clamp(px * ux + py * uy, -half, half);
                double qx = px - along * ux;
                double qy = py - along * uy;
                double r2 = qx * qx + qy * qy;
                if (r2 < 25 * width * width) {
                    img[y * n + x] += amplitude * StrictMath.exp(-r2 * inv);
                }
            }
        }
    }

    /** Uniform and normal draws from one counter-based stream. */
    private static final class Draws {
        private final long seed;
        private long next;

        Draws(SeededRandom stream) {
            this.seed = stream.seed();
        }

        double uniform() {
            return SeededRandom.uniform(seed, next++);
        }

        double uniform(double lo, double hi) {
            return lo + (hi - lo) * uniform();
        }

        /** Box-Muller on two consecutive uniforms (the first moved to (0, 1]). */
        double normal() {
            double u1 = 1.0 - uniform();
            double u2 = uniform();
            return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
        }
    }
}
