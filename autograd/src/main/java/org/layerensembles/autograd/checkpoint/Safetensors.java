package org.layerensembles.autograd.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.memory.MemoryScope;

/**
 * Reads and writes a {@link StateDict} in the safetensors format, the one PyTorch users load
 * with {@code safetensors.torch.load_file}.
 *
 * <p>The layout: 8 bytes, the header length N as a little-endian unsigned integer; N bytes of
 * UTF-8 JSON, {@code {"__metadata__": {string: string}, "name": {"dtype": "F32", "shape": [2, 3],
 * "data_offsets": [begin, end]}, ...}}, padded with spaces so the data starts at a multiple of 8;
 * then the data buffer, each tensor's elements little-endian in row-major order between its
 * offsets (counted from the start of the buffer). The tensors tile the buffer exactly.
 *
 * <p>Arrays are written as F32 (float32) or I32 (int32), int64 scalars as I64 with shape [].
 * The int64 scalars come first in the buffer, so every tensor is aligned to its element size,
 * as the reference writer does. Writing is atomic: a temporary file beside the target is written,
 * forced to disk and renamed over the target, so a crash never leaves a half-written file where a
 * good one was.
 */
public final class Safetensors {
    private static final ValueLayout.OfInt NATIVE_WORD = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfInt FILE_WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK_BYTES = 1 << 20;

    private Safetensors() {
    }

    /** A file's tensors (in header order) and its {@code __metadata__} (empty when it has none). */
    public record Loaded(StateDict state, Map<String, String> metadata) {
    }

    /**
     * Reads a whole file into arrays of the current memory scope. The header is checked in full
     * before anything is allocated.
     *
     * @throws SafetensorsFormatException when the file is not a valid safetensors file or holds a
     *                                    dtype this engine has no array type for; the message
     *                                    names the file and the problem
     * @throws IOException                when the file cannot be read
     */
    public static Loaded read(Path path) throws IOException {
        try (SafetensorsReader reader = new SafetensorsReader(path)) {
            return new Loaded(reader.read(name -> true), reader.metadata());
        }
    }

    /**
     * Writes {@code state} with {@code metadata} (may be null or empty) to {@code path}, replacing
     * any file there atomically. Non-contiguous arrays are written in row-major order.
     *
     * @throws IllegalArgumentException when a name is reserved ({@code __metadata__}), a metadata
     *                                  key or value is null, or an array's memory scope has
     *                                  closed; nothing is written then
     * @throws IOException              when writing fails; the file at {@code path}, if any, is
     *                                  left as it was and no temporary file remains
     */
    public static void write(Path path, StateDict state, Map<String, String> metadata) throws IOException {
        write(path, state, metadata, name -> {
        });
    }

    /** Called after each tensor's data is written: the test's way to make a write fail midway. */
    @FunctionalInterface
    interface AfterTensor {
        void written(String name) throws IOException;
    }

    static void write(Path path, StateDict state, Map<String, String> metadata, AfterTensor afterTensor)
            throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(state, "state");
        byte[] header = header(state, metadata == null ? Map.of() : metadata);

        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                long largest = 8;
                for (NDArray a : state.arrays().values()) {
                    largest = Math.max(largest, a.numel() * 4);
                }
                MemorySegment stagingSegment = arena.allocate(Math.min(largest, CHUNK_BYTES), 64);
                ByteBuffer staging = stagingSegment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                staging.putLong(header.length).flip();
                writeFully(out, staging);
                writeFully(out, ByteBuffer.wrap(header));
                for (Map.Entry<String, Long> e : state.longs().entrySet()) {
                    staging.clear();
                    staging.putLong(e.getValue()).flip();
                    writeFully(out, staging);
                    afterTensor.written(e.getKey());
                }
                for (Map.Entry<String, NDArray> e : state.arrays().entrySet()) {
                    writeArray(out, e.getValue(), staging, stagingSegment);
                    afterTensor.written(e.getKey());
                }
                out.force(true); // the data is on disk before the rename makes it visible
            }
            // A crash leaves either the old file or the whole new one under the target's name.
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncDirectory(dir);
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(StateDict state, Map<String, String> metadata) {
        ObjectNode root = SafetensorsReader.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("safetensors metadata needs non-null keys and values, got "
                            + k + " = " + v);
                }
                meta.put(k, v);
            });
        }
        long offset = 0;
        for (Map.Entry<String, Long> e : state.longs().entrySet()) {
            offset = describe(root, e.getKey(), "I64", new int[0], offset, 8);
        }
        List<String> freed = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : state.arrays().entrySet()) {
            NDArray a = e.getValue();
            if (!a.isAlive()) {
                freed.add(e.getKey());
            }
            String dtype = switch (a.dtype()) {
                case FLOAT32 -> "F32";
                case INT32 -> "I32";
            };
            offset = describe(root, e.getKey(), dtype, a.shape(), offset, a.numel() * a.dtype().byteSize());
        }
        if (!freed.isEmpty()) {
            throw new IllegalArgumentException("cannot write arrays whose memory scope has closed: " + freed);
        }
        byte[] json;
        try {
            json = SafetensorsReader.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not serialise a safetensors header", e);
        }
        byte[] padded = new byte[(json.length + 7) / 8 * 8];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) {
            padded[i] = ' ';
        }
        return padded;
    }

    private static long describe(ObjectNode root, String name, String dtype, int[] shape, long offset, long bytes) {
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved by the safetensors format and cannot name a tensor");
        }
        ObjectNode entry = root.putObject(name);
        entry.put("dtype", dtype);
        ArrayNode s = entry.putArray("shape");
        for (int d : shape) {
            s.add(d);
        }
        entry.putArray("data_offsets").add(offset).add(offset + bytes);
        return offset + bytes;
    }

    /** Copies an array's elements, row-major, as little-endian words through the staging buffer. */
    @SuppressWarnings("try") // the scope frees the contiguous copy
    private static void writeArray(FileChannel out, NDArray array, ByteBuffer staging, MemorySegment stagingSegment)
            throws IOException {
        if (!array.isContiguous()) {
            try (MemoryScope copy = MemoryScope.open()) {
                writeContiguous(out, array.contiguous(), staging, stagingSegment);
            }
            return;
        }
        writeContiguous(out, array, staging, stagingSegment);
    }

    private static void writeContiguous(FileChannel out, NDArray array, ByteBuffer staging, MemorySegment stagingSegment)
            throws IOException {
        MemorySegment source = array.segment();
        long sourceByte = array.offset() * 4;
        long remaining = array.numel() * 4;
        while (remaining > 0) {
            int n = (int) Math.min(stagingSegment.byteSize(), remaining);
            MemorySegment.copy(source, NATIVE_WORD, sourceByte, stagingSegment, FILE_WORD, 0, n / 4);
            staging.clear().limit(n);
            writeFully(out, staging);
            sourceByte += n;
            remaining -= n;
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /**
     * Makes the rename itself durable where the platform allows forcing a directory (Linux does);
     * elsewhere the rename is still atomic, only possibly not yet on disk after a power cut.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: not every platform can open a directory as a channel
        }
    }
}
