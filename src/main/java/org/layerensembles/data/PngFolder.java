package org.layerensembles.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;

/**
 * A 2D segmentation dataset in the METHOD.md §8 layout: {@code root/images/NAME.png} and
 * {@code root/masks/NAME.png}, one mask per image with the same name.
 *
 * <p>Rules (any breach is a {@link DatasetException} naming the file):
 * <ul>
 * <li>Both folders must exist. Files whose name ends in {@code .png} (any case) count; hidden
 * files (name starting with '.', e.g. temporary files of an interrupted write) and other files
 * are ignored. Samples are ordered by file name ({@link String#compareTo}); sample {@code i}'s
 * name is the file name without {@code .png}.</li>
 * <li>Every image has a mask and every mask an image; the dataset must not be empty.</li>
 * <li>Images: 8- or 16-bit grey (with or without alpha: alpha is ignored) are read as their
 * grey value; RGB(A) and palette images are converted to luminance
 * {@code 0.299 R + 0.587 G + 0.114 B}. The result is z-normalised per image (population
 * standard deviation; a constant image becomes zeros) into float32 [1, H, W].</li>
 * <li>Masks: the stored value is the class index: the grey value (8 or 16 bit), the palette
 * index for palette PNGs, or the common value of R = G = B for colour PNGs (a colour mask with
 * R, G, B not all equal is rejected). With {@code classes == 2} any value > 0 is foreground
 * (so 0/255 masks work); with more classes a value >= classes is an error naming the pixel.
 * Masks become int32 [H, W].</li>
 * <li>A mask has its image's size, and all images have the same size (the dataset's policy is
 * to reject, not to resize or pad: do that when preparing the data).</li>
 * <li>A file javax.imageio cannot decode (not a PNG, truncated, corrupt) is an error.</li>
 * </ul>
 *
 * <p>Loading is <b>eager</b>: {@link #open} reads and checks every file up front, so errors
 * surface at once and not in the middle of training, and keeps the pixels as Java arrays
 * (4 bytes per pixel for the image and 4 for the mask: 256 x 256 x 1000 samples is 0.5 GB).
 * {@link #get} returns new arrays owned by the current
 * {@link org.layerensembles.core.memory.MemoryScope} (garbage-collected when none is open).
 * Difficulty is unknown ({@code NaN}).
 */
public final class PngFolder implements SegmentationDataset {
    private final Path root;
    private final int classes;
    private final int height;
    private final int width;
    private final List<String> names;
    private final List<float[]> images;
    private final List<int[]> masks;

    private PngFolder(Path root, int classes, int height, int width, List<String> names, List<float[]> images,
                      List<int[]> masks) {
        this.root = root;
        this.classes = classes;
        this.height = height;
        this.width = width;
        this.names = List.copyOf(names);
        this.images = List.copyOf(images);
        this.masks = List.copyOf(masks);
    }

    /**
     * Reads and checks the dataset under {@code root}.
     *
     * @param classes number of classes including background, at least 2
     * @throws DatasetException when the folder breaks one of the rules in the class comment
     */
    public static PngFolder open(Path root, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        }
        Path imageDir = root.resolve("images");
        Path maskDir = root.resolve("masks");
        TreeMap<String, Path> imageFiles = listPngs(imageDir, "images");
        TreeMap<String, Path> maskFiles = listPngs(maskDir, "masks");
        for (var e : imageFiles.entrySet()) {
            if (!maskFiles.containsKey(e.getKey())) {
                throw new DatasetException(e.getValue(), "image has no mask (expected "
                        + maskDir.resolve(e.getValue().getFileName()) + ")");
            }
        }
        for (var e : maskFiles.entrySet()) {
            if (!imageFiles.containsKey(e.getKey())) {
                throw new DatasetException(e.getValue(), "mask has no image (expected "
                        + imageDir.resolve(e.getValue().getFileName()) + ")");
            }
        }
        if (imageFiles.isEmpty()) {
            throw new DatasetException(imageDir, "no PNG images");
        }
        List<String> names = new ArrayList<>();
        List<float[]> images = new ArrayList<>();
        List<int[]> masks = new ArrayList<>();
        int h = -1;
        int w = -1;
        Path first = null;
        for (var e : imageFiles.entrySet()) {
            Path imageFile = e.getValue();
            Path maskFile = maskFiles.get(e.getKey());
            BufferedImage image = read(imageFile);
            BufferedImage mask = read(maskFile);
            if (mask.getWidth() != image.getWidth() || mask.getHeight() != image.getHeight()) {
                throw new DatasetException(maskFile, "mask is " + size(mask) + " but its image " + imageFile
                        + " is " + size(image));
            }
            if (first == null) {
                first = imageFile;
                h = image.getHeight();
                w = image.getWidth();
            } else if (image.getHeight() != h || image.getWidth() != w) {
                throw new DatasetException(imageFile, "image is " + size(image) + " but the dataset's images are "
                        + w + "x" + h + " (as " + first + "); all images must have one size");
            }
            float[] pixels = luminance(image);
            ImageMath.zNormalise(pixels);
            names.add(e.getKey());
            images.add(pixels);
            masks.add(classIndices(mask, maskFile, classes));
        }
        return new PngFolder(root, classes, h, w, names, images, masks);
    }

    public Path root() {
        return root;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Sample names in order (file names without {@code .png}). */
    public List<String> names() {
        return names;
    }

    @Override
    public int size() {
        return names.size();
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public Sample get(int index) {
        return new Sample(names.get(index), NDArrays.of(images.get(index), 1, height, width),
                NDArrays.of(masks.get(index), height, width), Double.NaN);
    }

    // ---- reading

    private static TreeMap<String, Path> listPngs(Path dir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new DatasetException(dir, "missing " + what + " folder (expected <root>/images/NAME.png and "
                    + "<root>/masks/NAME.png)");
        }
        TreeMap<String, Path> out = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || !name.toLowerCase(Locale.ROOT).endsWith(".png")
                        || !Files.isRegularFile(f)) {
                    continue;
                }
                out.put(name.substring(0, name.length() - 4), f);
            }
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list folder: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * One image file read as this class reads a dataset's images: grey (luminance for colour),
     * z-normalised, float32 [1, H, W] in the current memory scope.
     *
     * @throws DatasetException naming the file when it is missing, unreadable or not a PNG
     */
    public static NDArray readImage(Path file) {
        BufferedImage img = read(file);
        float[] pixels = luminance(img);
        ImageMath.zNormalise(pixels);
        return NDArrays.of(pixels, 1, img.getHeight(), img.getWidth());
    }

    private static BufferedImage read(Path file) {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new DatasetException(file, "unreadable or corrupt PNG: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new DatasetException(file, "not a PNG (no javax.imageio reader recognises it)");
        }
        return img;
    }

    private static String size(BufferedImage img) {
        return img.getWidth() + "x" + img.getHeight();
    }

    /** Grey value for grey images, luminance for colour and palette ones, as floats. */
    private static float[] luminance(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster r = img.getRaster();
        ColorModel cm = img.getColorModel();
        int bands = r.getNumBands();
        float[] out = new float[w * h];
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            float[] lut = new float[n];
            for (int k = 0; k < n; k++) {
                lut[k] = (float) (0.299 * icm.getRed(k) + 0.587 * icm.getGreen(k) + 0.114 * icm.getBlue(k));
            }
            int[] idx = r.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int k = 0; k < out.length; k++) {
                out[k] = lut[idx[k]];
            }
        } else if (bands <= 2) {
            r.getSamples(0, 0, w, h, 0, out);
        } else {
            float[] red = r.getSamples(0, 0, w, h, 0, (float[]) null);
            float[] green = r.getSamples(0, 0, w, h, 1, (float[]) null);
            float[] blue = r.getSamples(0, 0, w, h, 2, (float[]) null);
            for (int k = 0; k < out.length; k++) {
                out[k] = (float) (0.299 * red[k] + 0.587 * green[k] + 0.114 * blue[k]);
            }
        }
        return out;
    }

    private static int[] classIndices(BufferedImage img, Path file, int classes) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster r = img.getRaster();
        int[] values = r.getSamples(0, 0, w, h, 0, (int[]) null);
        if (!(img.getColorModel() instanceof IndexColorModel) && r.getNumBands() >= 3) {
            int[] green = r.getSamples(0, 0, w, h, 1, (int[]) null);
            int[] blue = r.getSamples(0, 0, w, h, 2, (int[]) null);
            for (int k = 0; k < values.length; k++) {
                if (green[k] != values[k] || blue[k] != values[k]) {
                    throw new DatasetException(file, "colour mask: pixel (x=" + (k % w) + ", y=" + (k / w)
                            + ") has R,G,B = " + values[k] + "," + green[k] + "," + blue[k]
                            + "; a mask must hold class indices as grey values");
                }
            }
        }
        for (int k = 0; k < values.length; k++) {
            int v = values[k];
            if (classes == 2) {
                values[k] = v > 0 ? 1 : 0;
            } else if (v >= classes) {
                throw new DatasetException(file, "mask value " + v + " at pixel (x=" + (k % w) + ", y=" + (k / w)
                        + ") is outside the classes 0.." + (classes - 1));
            }
        }
        return values;
    }
}
