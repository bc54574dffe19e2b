package org.layerensembles.autograd.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a valid safetensors file, or one this engine cannot represent (an unsupported
 * dtype). The message names the file and the problem.
 */
public final class SafetensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    SafetensorsFormatException(Path file, String problem) {
        super(file + ": not a valid safetensors file: " + problem);
    }

    SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": not a valid safetensors file: " + problem, cause);
    }
}
