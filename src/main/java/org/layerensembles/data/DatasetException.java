package org.layerensembles.data;

import java.nio.file.Path;

/**
 * A dataset on disk is not as expected: a folder or file is missing, a file cannot be read, or
 * its contents break the dataset's rules. The message names the offending file; {@link #file()}
 * returns it.
 */
public final class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public DatasetException(Path file, String message) {
        this(file, message, null);
    }

    public DatasetException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The file or folder the problem is about. */
    public Path file() {
        return file;
    }
}
