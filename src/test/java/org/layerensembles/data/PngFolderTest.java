package org.layerensembles.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerensembles.core.DType;

class PngFolderTest {
    @TempDir
    Path tmp;

    // ---- round trip

    @Test
    void syntheticMassesWrittenAsPngsReadBackWithIdenticalMasksAndQuantisedImages() throws IOException {
        SyntheticMasses ds = new SyntheticMasses(SyntheticMasses.Config.of(12, 3));
        ds.writePngs(tmp);
        PngFolder back = PngFolder.open(tmp, 2);
        assertEquals(12, back.size());
        assertEquals(2, back.classes());
        assertEquals(64, back.height());
        assertEquals(64, back.width());
        double worst = 0;
        for (int i = 0; i < 12; i++) {
            SyntheticMasses.Pixels p = ds.generate(i);
            Sample s = back.get(i);
            assertEquals(ds.name(i), s.name());
            assertEquals(DType.FLOAT32, s.image().dtype());
            assertArrayEquals(new int[] {1, 64, 64}, s.image().shape());
            assertEquals(DType.INT32, s.mask().dtype());
            assertArrayEquals(p.mask(), s.mask().toIntArray(), "mask of " + s.name());
            assertTrue(Double.isNaN(s.difficulty()));
            // Exactly: the z-normalised 8-bit quantisation of the original.
            byte[] q = ImageMath.toGrey8(p.image());
            float[] expected = new float[q.length];
            for (int k = 0; k < q.length; k++) {
                expected[k] = q[k] & 0xff;
            }
            ImageMath.zNormalise(expected);
            float[] got = s.image().toFloatArray();
            assertArrayEquals(expected, got, 1e-6f);
            // Close to the original: z-normalisation undoes the min-max scaling, 8 bits remain.
            for (int k = 0; k < got.length; k++) {
                worst = Math.max(worst, Math.abs(got[k] - p.image()[k]));
            }
        }
        System.out.printf("PNG round trip: max |image - original| after 8-bit quantisation = %.4f (z units)%n", worst);
        assertTrue(worst < 0.05, "quantisation error " + worst);
        List<String> csv = Files.readAllLines(tmp.resolve("difficulty.csv"));
        assertEquals(13, csv.size());
        assertEquals("name,difficulty", csv.get(0));
        assertEquals(ds.difficulty(5), Double.parseDouble(csv.get(6).split(",")[1]), 1e-6);
        try (Stream<Path> files = Stream.concat(Files.list(tmp.resolve("images")), Files.list(tmp.resolve("masks")))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
        // Writing again over the same folder replaces the files with identical content.
        ds.writePngs(tmp);
        assertArrayEquals(back.get(3).image().toFloatArray(), PngFolder.open(tmp, 2).get(3).image().toFloatArray());
    }

    // ---- formats

    @Test
    void sixteenBitGreyImagesAndZeroTo255MasksAreRead() throws IOException {
        int[] values = {0, 1000, 65535, 30000, 2, 7};
        writeGrey16(dir("images").resolve("a.png"), values, 2, 3);
        writeGrey8(dir("masks").resolve("a.png"), new int[] {0, 255, 255, 0, 0, 255}, 2, 3);
        PngFolder ds = PngFolder.open(tmp, 2);
        float[] expected = new float[values.length];
        for (int k = 0; k < values.length; k++) {
            expected[k] = values[k];
        }
        ImageMath.zNormalise(expected);
        assertArrayEquals(expected, ds.get(0).image().toFloatArray(), 1e-6f);
        assertArrayEquals(new int[] {0, 1, 1, 0, 0, 1}, ds.get(0).mask().toIntArray());
        assertArrayEquals(new int[] {1, 2, 3}, ds.get(0).image().shape(), "height 2, width 3");
    }

    @Test
    void colourImagesBecomeLuminanceAndGreyColourMasksAndPaletteMasksAreClassIndices() throws IOException {
        BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, 0xff0000);
        rgb.setRGB(1, 0, 0x00ff00);
        ImageIO.write(rgb, "png", dir("images").resolve("c.png").toFile());
        BufferedImage greyRgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        greyRgb.setRGB(0, 0, 0x020202);
        greyRgb.setRGB(1, 0, 0x000000);
        ImageIO.write(greyRgb, "png", dir("masks").resolve("c.png").toFile());
        writeGrey8(dir("images").resolve("d.png"), new int[] {5, 9}, 1, 2);
        byte[] palette = {0, (byte) 255, 0};
        IndexColorModel icm = new IndexColorModel(8, 3, palette, palette, palette);
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, icm);
        indexed.getRaster().setSample(0, 0, 0, 2);
        indexed.getRaster().setSample(1, 0, 0, 1);
        ImageIO.write(indexed, "png", dir("masks").resolve("d.png").toFile());

        PngFolder ds = PngFolder.open(tmp, 3);
        assertEquals(List.of("c", "d"), ds.names());
        float[] lum = {(float) (0.299 * 255), (float) (0.587 * 255)};
        ImageMath.zNormalise(lum);
        assertArrayEquals(lum, ds.get(0).image().toFloatArray(), 1e-6f);
        assertArrayEquals(new int[] {2, 0}, ds.get(0).mask().toIntArray());
        assertArrayEquals(new int[] {2, 1}, ds.get(1).mask().toIntArray(), "palette index is the class");
    }

    @Test
    void hiddenAndNonPngFilesAreIgnoredAndSamplesAreSortedByName() throws IOException {
        for (String name : new String[] {"b", "a", "c10", "c2"}) {
            writeGrey8(dir("images").resolve(name + ".png"), new int[] {1, 2}, 1, 2);
            writeGrey8(dir("masks").resolve(name + ".png"), new int[] {0, 1}, 1, 2);
        }
        Files.writeString(dir("images").resolve("notes.txt"), "x");
        Files.writeString(dir("masks").resolve(".a.png.123.tmp"), "partial");
        Files.writeString(dir("images").resolve(".hidden.png"), "not a png");
        assertEquals(List.of("a", "b", "c10", "c2"), PngFolder.open(tmp, 2).names());
    }

    @Test
    void aConstantImageNormalisesToZeros() throws IOException {
        writeGrey8(dir("images").resolve("flat.png"), new int[] {7, 7, 7, 7}, 2, 2);
        writeGrey8(dir("masks").resolve("flat.png"), new int[] {0, 0, 0, 0}, 2, 2);
        assertArrayEquals(new float[4], PngFolder.open(tmp, 2).get(0).image().toFloatArray());
    }

    // ---- bad input: every message names the file

    @Test
    void missingFoldersAreNamed() throws IOException {
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("images"));
        dir("images");
        e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("masks"));
        dir("masks");
        e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertTrue(e.getMessage().contains("no PNG images"), e.getMessage());
    }

    @Test
    void anImageWithoutAMaskAndAMaskWithoutAnImageAreNamed() throws IOException {
        writeGrey8(dir("images").resolve("a.png"), new int[] {1, 2}, 1, 2);
        writeGrey8(dir("masks").resolve("a.png"), new int[] {0, 1}, 1, 2);
        writeGrey8(dir("images").resolve("lonely.png"), new int[] {1, 2}, 1, 2);
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("images").resolve("lonely.png"));
        assertTrue(e.getMessage().contains("no mask"), e.getMessage());
        Files.delete(tmp.resolve("images").resolve("lonely.png"));
        writeGrey8(dir("masks").resolve("orphan.png"), new int[] {0, 1}, 1, 2);
        e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("masks").resolve("orphan.png"));
        assertTrue(e.getMessage().contains("no image"), e.getMessage());
    }

    @Test
    void aMaskOfAnotherSizeThanItsImageIsNamed() throws IOException {
        writeGrey8(dir("images").resolve("a.png"), new int[] {1, 2, 3, 4}, 2, 2);
        writeGrey8(dir("masks").resolve("a.png"), new int[] {0, 1}, 1, 2);
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("masks").resolve("a.png"));
        assertTrue(e.getMessage().contains("2x1") && e.getMessage().contains("2x2"), e.getMessage());
    }

    @Test
    void imagesOfDifferentSizesWithinTheDatasetAreRejectedNamingTheFile() throws IOException {
        writeGrey8(dir("images").resolve("a.png"), new int[] {1, 2, 3, 4}, 2, 2);
        writeGrey8(dir("masks").resolve("a.png"), new int[] {0, 1, 0, 1}, 2, 2);
        writeGrey8(dir("images").resolve("b.png"), new int[] {1, 2, 3}, 1, 3);
        writeGrey8(dir("masks").resolve("b.png"), new int[] {0, 1, 0}, 1, 3);
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("images").resolve("b.png"));
    }

    @Test
    void aMaskValueOutsideTheClassesIsNamedWithItsPixel() throws IOException {
        writeGrey8(dir("images").resolve("a.png"), new int[] {1, 2, 3, 4}, 2, 2);
        writeGrey8(dir("masks").resolve("a.png"), new int[] {0, 3, 2, 1}, 2, 2);
        assertArrayEquals(new int[] {0, 3, 2, 1}, PngFolder.open(tmp, 4).get(0).mask().toIntArray());
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 3));
        assertNames(e, tmp.resolve("masks").resolve("a.png"));
        assertTrue(e.getMessage().contains("value 3") && e.getMessage().contains("x=1, y=0"), e.getMessage());
        assertArrayEquals(new int[] {0, 1, 1, 1}, PngFolder.open(tmp, 2).get(0).mask().toIntArray(),
                "binary: > 0 is foreground");
        assertThrows(IllegalArgumentException.class, () -> PngFolder.open(tmp, 1));
    }

    @Test
    void aColourMaskIsNamed() throws IOException {
        writeGrey8(dir("images").resolve("a.png"), new int[] {1, 2}, 1, 2);
        BufferedImage rgb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(1, 0, 0x010200);
        ImageIO.write(rgb, "png", dir("masks").resolve("a.png").toFile());
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("masks").resolve("a.png"));
        assertTrue(e.getMessage().contains("colour mask"), e.getMessage());
    }

    @Test
    void corruptAndTruncatedFilesAreNamed() throws IOException {
        writeGrey8(dir("images").resolve("a.png"), new int[] {1, 2}, 1, 2);
        Files.write(dir("masks").resolve("a.png"), "this is not a PNG at all".getBytes());
        DatasetException e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("masks").resolve("a.png"));

        // A real PNG cut short in its image data.
        writeGrey8(dir("masks").resolve("a.png"), new int[] {0, 1}, 1, 2);
        int[] big = new int[64 * 64];
        for (int k = 0; k < big.length; k++) {
            big[k] = (k * 7919) % 251;
        }
        Path whole = tmp.resolve("whole.png");
        writeGrey8(whole, big, 64, 64);
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(tmp.resolve("images").resolve("a.png"), Arrays.copyOf(bytes, bytes.length / 2));
        e = assertThrows(DatasetException.class, () -> PngFolder.open(tmp, 2));
        assertNames(e, tmp.resolve("images").resolve("a.png"));
    }

    // ---- helpers

    private static void assertNames(DatasetException e, Path file) {
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    static void writeGrey8(Path file, int[] values, int height, int width) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSamples(0, 0, width, height, 0, values);
        assertTrue(ImageIO.write(img, "png", file.toFile()));
    }

    static void writeGrey16(Path file, int[] values, int height, int width) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSamples(0, 0, width, height, 0, values);
        assertTrue(ImageIO.write(img, "png", file.toFile()));
    }
}
