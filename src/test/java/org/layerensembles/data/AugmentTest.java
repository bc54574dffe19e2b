package org.layerensembles.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.SeededRandom;

class AugmentTest {

    /** A random image [c, h, w] and a random mask with classes 0..3. */
    private static Sample randomSample(int c, int h, int w, long seed) {
        float[] img = new float[c * h * w];
        int[] mask = new int[h * w];
        for (int k = 0; k < img.length; k++) {
            img[k] = (float) SeededRandom.normal(seed, k);
        }
        for (int k = 0; k < mask.length; k++) {
            mask[k] = (int) (SeededRandom.uniform(seed + 1, k) * 4);
        }
        return new Sample("s" + seed, NDArrays.of(img, c, h, w), NDArrays.of(mask, h, w), 0.5);
    }

    private static void assertBitEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int k = 0; k < expected.length; k++) {
            assertEquals(Float.floatToRawIntBits(expected[k]), Float.floatToRawIntBits(actual[k]), "element " + k);
        }
    }

    @Test
    void flipsAreExactOnNonSquareImages() {
        int c = 2;
        int h = 5;
        int w = 7;
        Sample s = randomSample(c, h, w, 1);
        float[] img = s.image().toFloatArray();
        int[] mask = s.mask().toIntArray();
        for (boolean fh : new boolean[] {false, true}) {
            for (boolean fv : new boolean[] {false, true}) {
                Sample out = Augment.apply(s, new Augment.Transform(fh, fv, 0, 1, 0, 0), Augment.Padding.ZERO);
                float[] expected = new float[img.length];
                int[] expectedMask = new int[mask.length];
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            int sy = fv ? h - 1 - y : y;
                            int sx = fh ? w - 1 - x : x;
                            expected[(ch * h + y) * w + x] = img[(ch * h + sy) * w + sx];
                            expectedMask[y * w + x] = mask[sy * w + sx];
                        }
                    }
                }
                assertBitEqual(expected, out.image().toFloatArray());
                assertArrayEquals(expectedMask, out.mask().toIntArray(), "flipH " + fh + " flipV " + fv);
                assertEquals(s.name(), out.name());
                assertEquals(s.difficulty(), out.difficulty());
            }
        }
    }

    @Test
    void theIdentityIsExactAndAZeroRangeConfigDrawsTheIdentity() {
        Sample s = randomSample(1, 9, 6, 2);
        for (Augment.Padding p : Augment.Padding.values()) {
            Sample out = Augment.apply(s, Augment.Transform.IDENTITY, p);
            assertBitEqual(s.image().toFloatArray(), out.image().toFloatArray());
            assertArrayEquals(s.mask().toIntArray(), out.mask().toIntArray());
        }
        Augment none = new Augment(new Augment.Config(0, 0, 0, 1, 1, 0, Augment.Padding.ZERO));
        SeededRandom rng = new SeededRandom(3);
        for (int i = 0; i < 5; i++) {
            assertEquals(Augment.Transform.IDENTITY, none.draw(rng, 9, 6));
        }
        Sample out = none.apply(s, rng);
        assertBitEqual(s.image().toFloatArray(), out.image().toFloatArray());
    }

    @Test
    void aQuarterTurnOfASquareImageIsATransposeAndAFlip() {
        for (int n : new int[] {9, 64}) {
            Sample s = randomSample(1, n, n, 4);
            float[] img = s.image().toFloatArray();
            int[] mask = s.mask().toIntArray();
            Sample cw = Augment.apply(s, new Augment.Transform(false, false, 90, 1, 0, 0), Augment.Padding.ZERO);
            Sample ccw = Augment.apply(s, new Augment.Transform(false, false, -90, 1, 0, 0), Augment.Padding.ZERO);
            Sample half = Augment.apply(s, new Augment.Transform(false, false, 180, 1, 0, 0), Augment.Padding.ZERO);
            int[] m90 = cw.mask().toIntArray();
            int[] m270 = ccw.mask().toIntArray();
            int[] m180 = half.mask().toIntArray();
            float[] i90 = cw.image().toFloatArray();
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    // +90°: transpose (T[y][x] = in[x][y]) then horizontal flip (x -> n-1-x): in[n-1-x][y].
                    assertEquals(mask[(n - 1 - x) * n + y], m90[y * n + x], "+90 at " + x + "," + y);
                    // -90°: transpose then vertical flip: in[x][n-1-y].
                    assertEquals(mask[x * n + (n - 1 - y)], m270[y * n + x], "-90 at " + x + "," + y);
                    assertEquals(mask[(n - 1 - y) * n + (n - 1 - x)], m180[y * n + x], "180 at " + x + "," + y);
                    // Bilinear lands on pixel centres up to float rounding of cos(90°).
                    assertEquals(img[(n - 1 - x) * n + y], i90[y * n + x], 1e-4f);
                }
            }
        }
    }

    @Test
    void integerTranslationsMoveRightAndDownAndPadAsConfigured() {
        int h = 4;
        int w = 6;
        Sample s = randomSample(1, h, w, 5);
        float[] img = s.image().toFloatArray();
        int[] mask = s.mask().toIntArray();
        Augment.Transform t = new Augment.Transform(false, false, 0, 1, 2, 1);
        Sample zero = Augment.apply(s, t, Augment.Padding.ZERO);
        Sample border = Augment.apply(s, t, Augment.Padding.BORDER);
        float[] zi = zero.image().toFloatArray();
        int[] zm = zero.mask().toIntArray();
        float[] bi = border.image().toFloatArray();
        int[] bm = border.mask().toIntArray();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int sx = x - 2;
                int sy = y - 1;
                boolean inside = sx >= 0 && sy >= 0;
                int k = y * w + x;
                int src = Math.max(sy, 0) * w + Math.max(sx, 0);
                assertEquals(inside ? img[src] : 0f, zi[k]);
                assertEquals(inside ? mask[src] : 0, zm[k]);
                assertEquals(img[src], bi[k]);
                assertEquals(mask[src], bm[k]);
            }
        }
    }

    @Test
    void imageAndMaskAreTransformedConsistently() {
        // The image is the mask itself (as 0/1 floats): after any transform, where the
        // bilinear image is clearly 1 (or 0) the nearest-neighbour mask must be 1 (or 0) — the
        // nearest input pixel always carries at least a quarter of the bilinear weight.
        SyntheticMasses masses = new SyntheticMasses(SyntheticMasses.Config.of(6, 8));
        Augment aug = new Augment(new Augment.Config(0.5, 0.5, 15, 0.8, 1.25, 0.1, Augment.Padding.ZERO));
        SeededRandom rng = new SeededRandom(9);
        int checked = 0;
        int agree = 0;
        int total = 0;
        for (int i = 0; i < 6; i++) {
            Sample s = masses.get(i);
            int[] mask = s.mask().toIntArray();
            float[] asImage = new float[mask.length];
            for (int k = 0; k < mask.length; k++) {
                asImage[k] = mask[k];
            }
            Sample probe = new Sample(s.name(), NDArrays.of(asImage, 1, 64, 64), s.mask(), s.difficulty());
            for (int r = 0; r < 4; r++) {
                Augment.Transform t = aug.draw(rng, 64, 64);
                Sample out = Augment.apply(probe, t, Augment.Padding.ZERO);
                float[] oi = out.image().toFloatArray();
                int[] om = out.mask().toIntArray();
                for (int k = 0; k < om.length; k++) {
                    if (oi[k] > 0.75f + 1e-4f) {
                        assertEquals(1, om[k], "pixel " + k + " image " + oi[k]);
                        checked++;
                    } else if (oi[k] < 0.25f - 1e-4f) {
                        assertEquals(0, om[k], "pixel " + k + " image " + oi[k]);
                        checked++;
                    }
                    agree += (oi[k] >= 0.5f) == (om[k] == 1) ? 1 : 0;
                    total++;
                }
                // The mask of the transformed real sample equals the transformed mask.
                Sample real = Augment.apply(s, t, Augment.Padding.ZERO);
                assertArrayEquals(om, real.mask().toIntArray());
            }
        }
        System.out.printf("Augment consistency: %.4f of pixels agree (bilinear image >= 0.5 vs nearest mask), "
                + "%d of %d checked exactly%n", agree / (double) total, checked, total);
        assertTrue(agree > 0.99 * total);
        assertTrue(checked > 0.9 * total);
    }

    @Test
    void theSameSeedGivesTheSameResultAndDrawsStayInTheirRanges() {
        Sample s = randomSample(1, 32, 32, 6);
        Augment aug = new Augment(Augment.Config.defaults());
        Sample a = aug.apply(s, new SeededRandom(77));
        Sample b = aug.apply(s, new SeededRandom(77));
        assertBitEqual(a.image().toFloatArray(), b.image().toFloatArray());
        assertArrayEquals(a.mask().toIntArray(), b.mask().toIntArray());
        SeededRandom rng = new SeededRandom(77);
        assertNotEquals(aug.draw(rng, 32, 32), aug.draw(rng, 32, 32), "consecutive draws differ");
        assertNotEquals(aug.draw(new SeededRandom(1), 32, 32), aug.draw(new SeededRandom(2), 32, 32));

        SeededRandom many = new SeededRandom(5);
        int fh = 0;
        int fv = 0;
        double maxAngle = 0;
        int n = 2000;
        for (int i = 0; i < n; i++) {
            Augment.Transform t = aug.draw(many, 40, 20);
            fh += t.flipHorizontal() ? 1 : 0;
            fv += t.flipVertical() ? 1 : 0;
            assertTrue(Math.abs(t.rotationDegrees()) <= 15);
            maxAngle = Math.max(maxAngle, Math.abs(t.rotationDegrees()));
            assertTrue(t.scale() >= 0.9 && t.scale() <= 1.1);
            assertTrue(Math.abs(t.translateX()) <= 0.05 * 20 && Math.abs(t.translateY()) <= 0.05 * 40);
        }
        assertEquals(0.5, fh / (double) n, 0.05);
        assertEquals(0.5, fv / (double) n, 0.05);
        assertTrue(maxAngle > 14);
    }

    @Test
    void badInputsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(1.5, 0, 0, 1, 1, 0, Augment.Padding.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(0, 0, -1, 1, 1, 0, Augment.Padding.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(0, 0, 0, 0, 1, 0, Augment.Padding.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(0, 0, 0, 1.2, 1.1, 0, Augment.Padding.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Augment.Config(0, 0, 0, 1, 1, 1, Augment.Padding.ZERO));
        Sample bad = new Sample("bad", NDArrays.zeros(1, 4, 4), NDArrays.of(new int[9], 3, 3), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Augment.apply(bad, Augment.Transform.IDENTITY, Augment.Padding.ZERO));
        assertTrue(e.getMessage().contains("bad"));
        assertFalse(Augment.Config.flipsOnly().maxRotationDegrees() > 0);
    }
}
