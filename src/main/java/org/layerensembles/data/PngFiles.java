package org.layerensembles.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/** Writing 8-bit grey PNG files atomically (package-private). */
final class PngFiles {
    private PngFiles() {
    }

    /**
     * Writes {@code pixels} (row-major, {@code height x width}, unsigned 8-bit) as an 8-bit grey
     * PNG. The file appears complete or not at all: the bytes go to a hidden temporary file in
     * the same folder ({@code .NAME.*.tmp}), which is then renamed over {@code file}.
     */
    static void writeGrey8(Path file, byte[] pixels, int height, int width) throws IOException {
        if (pixels.length != height * width) {
            throw new IllegalArgumentException(pixels.length + " pixels for a " + height + "x" + width + " image");
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, width, height, pixels);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available in javax.imageio");
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
