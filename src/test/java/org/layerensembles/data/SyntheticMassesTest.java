package org.layerensembles.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.layerensembles.core.DType;

class SyntheticMassesTest {

    @Test
    void sameSeedGivesTheSameBytesAndSampleIDependsOnlyOnSeedAndI() {
        SyntheticMasses a = new SyntheticMasses(SyntheticMasses.Config.of(8, 42));
        SyntheticMasses b = new SyntheticMasses(SyntheticMasses.Config.of(8, 42));
        SyntheticMasses longer = new SyntheticMasses(SyntheticMasses.Config.of(500, 42));
        SyntheticMasses other = new SyntheticMasses(SyntheticMasses.Config.of(8, 43));
        for (int i = 0; i < 8; i++) {
            SyntheticMasses.Pixels p = a.generate(i);
            assertBitEqual(p, b.generate(i));
            assertBitEqual(p, longer.generate(i));
            assertEquals(a.name(i), longer.name(i));
            assertFalse(Arrays.equals(p.image(), other.generate(i).image()), "another seed gives another image");
            // get() wraps exactly the generated pixels.
            assertArrayEquals(p.image(), a.get(i).image().toFloatArray());
            assertArrayEquals(p.mask(), a.get(i).mask().toIntArray());
            assertEquals(p.difficulty(), a.difficulty(i));
        }
        // Parallel generation equals sequential generation.
        SyntheticMasses.Pixels[] par = IntStream.range(0, 8).parallel().mapToObj(longer::generate)
                .toArray(SyntheticMasses.Pixels[]::new);
        for (int i = 0; i < 8; i++) {
            assertBitEqual(a.generate(i), par[i]);
        }
    }

    private static void assertBitEqual(SyntheticMasses.Pixels x, SyntheticMasses.Pixels y) {
        assertEquals(x.image().length, y.image().length);
        for (int k = 0; k < x.image().length; k++) {
            assertEquals(Float.floatToRawIntBits(x.image()[k]), Float.floatToRawIntBits(y.image()[k]), "pixel " + k);
        }
        assertArrayEquals(x.mask(), y.mask());
        assertEquals(x.difficulty(), y.difficulty());
    }

    @Test
    void samplesHaveTheDocumentedShapesTypesAndNames() {
        SyntheticMasses ds = new SyntheticMasses(SyntheticMasses.Config.of(3, 1).withSize(48));
        Sample s = ds.get(2);
        assertEquals(DType.FLOAT32, s.image().dtype());
        assertArrayEquals(new int[] {1, 48, 48}, s.image().shape());
        assertEquals(DType.INT32, s.mask().dtype());
        assertArrayEquals(new int[] {48, 48}, s.mask().shape());
        assertEquals("mass_00002", s.name());
        assertEquals(2, ds.classes());
        assertEquals(3, ds.size());
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(3));
        assertEquals("mass_123456", new SyntheticMasses(SyntheticMasses.Config.of(200_000, 1)).name(123456));
    }

    @Test
    void configRejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticMasses.Config.of(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> SyntheticMasses.Config.of(1, 0).withSize(8));
        assertThrows(IllegalArgumentException.class, () -> SyntheticMasses.Config.of(1, 0).withDifficulty(0.5, 0.4));
        assertThrows(IllegalArgumentException.class, () -> SyntheticMasses.Config.of(1, 0).withDifficulty(-0.1, 0.4));
        assertThrows(IllegalArgumentException.class, () -> SyntheticMasses.Config.of(1, 0).withDifficulty(0, 1.5));
    }

    @Test
    void masksAreBinaryWithOneLesionOfPlausibleSizeInsideTheImage() {
        for (int size : new int[] {64, 128}) {
            int count = size == 64 ? 100 : 20;
            SyntheticMasses ds = new SyntheticMasses(SyntheticMasses.Config.of(count, 7).withSize(size));
            double minFrac = 1;
            double maxFrac = 0;
            for (int i = 0; i < count; i++) {
                int[] m = ds.generate(i).mask();
                int fg = 0;
                for (int v : m) {
                    assertTrue(v == 0 || v == 1, "mask values are 0 or 1");
                    fg += v;
                }
                double frac = fg / (double) m.length;
                minFrac = Math.min(minFrac, frac);
                maxFrac = Math.max(maxFrac, frac);
                for (int k = 0; k < size; k++) {
                    assertEquals(0, m[k] + m[(size - 1) * size + k] + m[k * size] + m[k * size + size - 1],
                            "the lesion does not touch the border (sample " + i + ")");
                }
                assertEquals(1, components(m, size), "one connected lesion (sample " + i + ")");
            }
            System.out.printf("SyntheticMasses %dpx: lesion area fraction in [%.3f, %.3f]%n", size, minFrac, maxFrac);
            assertTrue(minFrac > 0.01, "lesion not too small: " + minFrac);
            assertTrue(maxFrac < 0.35, "lesion not too large: " + maxFrac);
        }
    }

    /** Number of 4-connected foreground components. */
    private static int components(int[] mask, int n) {
        int[] label = new int[mask.length];
        int count = 0;
        int[] stack = new int[mask.length];
        for (int start = 0; start < mask.length; start++) {
            if (mask[start] == 0 || label[start] != 0) {
                continue;
            }
            count++;
            int top = 0;
            stack[top++] = start;
            label[start] = count;
            while (top > 0) {
                int k = stack[--top];
                int x = k % n;
                int y = k / n;
                int[] nb = {x > 0 ? k - 1 : -1, x < n - 1 ? k + 1 : -1, y > 0 ? k - n : -1, y < n - 1 ? k + n : -1};
                for (int q : nb) {
                    if (q >= 0 && mask[q] != 0 && label[q] == 0) {
                        label[q] = count;
                        stack[top++] = q;
                    }
                }
            }
        }
        return count;
    }

    @Test
    void imagesAreZNormalisedPerImage() {
        SyntheticMasses ds = new SyntheticMasses(SyntheticMasses.Config.of(20, 3));
        for (int i = 0; i < 20; i++) {
            float[] img = ds.generate(i).image();
            double mean = 0;
            for (float v : img) {
                mean += v;
            }
            mean /= img.length;
            double var = 0;
            for (float v : img) {
                var += (v - mean) * (v - mean);
            }
            double std = Math.sqrt(var / img.length);
            assertEquals(0, mean, 1e-5, "mean of sample " + i);
            assertEquals(1, std, 1e-4, "std of sample " + i);
        }
    }

    /** (mean inside the lesion - mean outside) / std outside: the lesion's contrast in background units. */
    static double contrast(float[] image, int[] mask) {
        double sIn = 0;
        double sOut = 0;
        double sOut2 = 0;
        int nIn = 0;
        int nOut = 0;
        for (int k = 0; k < image.length; k++) {
            if (mask[k] != 0) {
                sIn += image[k];
                nIn++;
            } else {
                sOut += image[k];
                sOut2 += (double) image[k] * image[k];
                nOut++;
            }
        }
        double meanOut = sOut / nOut;
        double stdOut = Math.sqrt(Math.max(0, sOut2 / nOut - meanOut * meanOut));
        return (sIn / nIn - meanOut) / stdOut;
    }

    @Test
    void difficultySpansTheRangeAndEasySamplesHaveMoreContrastThanHardOnes() {
        int n = 150;
        SyntheticMasses ds = new SyntheticMasses(SyntheticMasses.Config.of(n, 11));
        double[] d = new double[n];
        double[] c = new double[n];
        double easy = 0;
        double hard = 0;
        int nEasy = 0;
        int nHard = 0;
        for (int i = 0; i < n; i++) {
            SyntheticMasses.Pixels p = ds.generate(i);
            d[i] = p.difficulty();
            c[i] = contrast(p.image(), p.mask());
            if (d[i] < 1 / 3.0) {
                easy += c[i];
                nEasy++;
            } else if (d[i] > 2 / 3.0) {
                hard += c[i];
                nHard++;
            }
        }
        easy /= nEasy;
        hard /= nHard;
        double rho = spearman(d, c);
        System.out.printf("SyntheticMasses contrast (lesion - background mean, in background std): "
                + "easy (d<1/3, n=%d) %.2f, hard (d>2/3, n=%d) %.2f; Spearman(difficulty, contrast) = %.3f%n",
                nEasy, easy, nHard, hard, rho);
        assertTrue(Arrays.stream(d).min().orElseThrow() < 0.05 && Arrays.stream(d).max().orElseThrow() > 0.95,
                "difficulty spans [0, 1]");
        assertTrue(nEasy > 30 && nHard > 30, "difficulty is spread: " + nEasy + " easy, " + nHard + " hard");
        assertTrue(easy > 2 * hard, "easy contrast " + easy + " vs hard " + hard);
        assertTrue(hard > 0, "hard lesions are still brighter than the background on average: " + hard);
        assertTrue(rho < -0.6, "contrast falls with difficulty: Spearman " + rho);

        SyntheticMasses narrow = new SyntheticMasses(SyntheticMasses.Config.of(50, 11).withDifficulty(0.2, 0.4));
        for (int i = 0; i < 50; i++) {
            assertTrue(narrow.difficulty(i) >= 0.2 && narrow.difficulty(i) <= 0.4);
        }
    }

    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElseThrow();
        double mb = Arrays.stream(rb).average().orElseThrow();
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    private static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, (x, y) -> Double.compare(v[x], v[y]));
        double[] r = new double[v.length];
        for (int k = 0; k < idx.length; k++) {
            r[idx[k]] = k;
        }
        return r;
    }
}
