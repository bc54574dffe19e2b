package org.layerensembles.autograd.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;

/**
 * An open safetensors file whose header has been read and checked in full: every entry's dtype,
 * shape and offsets agree, and the entries tile the byte buffer exactly (no gap, no overlap, no
 * byte left over). Nothing is allocated until {@link #read} is called, so a bad file costs no
 * memory. Used by {@link Safetensors#read} and {@link Checkpoint#load}.
 */
final class SafetensorsReader implements AutoCloseable {
    /** The largest header accepted (the reference implementation's limit). */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final ValueLayout.OfInt NATIVE_WORD = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfInt FILE_WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK_BYTES = 1 << 20;

    /** One tensor of the header. Offsets are absolute positions in the file. */
    private record Entry(String name, FileDType dtype, int[] shape, long begin, long end) {
    }

    private final Path file;
    private final FileChannel channel;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    SafetensorsReader(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            readHeader();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads the entries whose names pass {@code which}, in header order, into arrays of the
     * current memory scope (int64 scalars as {@link StateDict#putLong}).
     */
    StateDict read(Predicate<String> which) throws IOException {
        StateDict out = new StateDict();
        long largest = 8;
        for (Entry e : entries) {
            largest = which.test(e.name) ? Math.max(largest, e.end - e.begin) : largest;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stagingSegment = arena.allocate(Math.min(largest, CHUNK_BYTES), 64);
            readSelected(which, out, stagingSegment, stagingSegment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
        }
        return out;
    }

    private void readSelected(Predicate<String> which, StateDict out, MemorySegment stagingSegment, ByteBuffer staging)
            throws IOException {
        for (Entry e : entries) {
            if (!which.test(e.name)) {
                continue;
            }
            if (e.dtype == FileDType.I64) {
                staging.clear().limit(8);
                readFully(staging, e.begin);
                out.putLong(e.name, staging.getLong(0));
                continue;
            }
            NDArray a = NDArrays.empty(e.dtype == FileDType.F32 ? DType.FLOAT32 : DType.INT32, e.shape);
            MemorySegment target = a.segment();
            long position = e.begin;
            long targetByte = a.offset() * 4;
            while (position < e.end) {
                int n = (int) Math.min(stagingSegment.byteSize(), e.end - position);
                staging.clear().limit(n);
                readFully(staging, position);
                // Little-endian words from the file become native words; bit patterns (NaN payloads) are kept.
                MemorySegment.copy(stagingSegment, FILE_WORD, 0, target, NATIVE_WORD, targetByte, n / 4);
                position += n;
                targetByte += n;
            }
            out.put(e.name, a);
        }
    }

    private void readFully(ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw bad("the file ended at byte " + at + " while reading tensor data (was it truncated while being read?)");
            }
            at += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    // ---- header

    private void readHeader() throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw bad("the file has " + fileSize + " bytes, fewer than the 8 of the header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw bad("header length " + Long.toUnsignedString(headerLength) + " is absurd (limit "
                    + MAX_HEADER_BYTES + " bytes)");
        }
        if (headerLength > fileSize - 8) {
            throw bad("header length " + headerLength + " is larger than the " + (fileSize - 8)
                    + " bytes that follow it in the file");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(headerBytes, 8);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes.flip()).toString();
        } catch (CharacterCodingException e) {
            throw bad("the header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            String why = e.getOriginalMessage();
            if (why != null && why.startsWith("Duplicate field")) {
                throw bad("duplicate name in the header: " + why, e);
            }
            throw bad("the header is not well-formed JSON: " + why, e);
        }
        if (root == null || root.isMissingNode()) {
            throw bad("the header is empty");
        }
        if (!root.isObject()) {
            throw bad("the header is a JSON " + root.getNodeType().name().toLowerCase() + ", not an object");
        }
        long bufferStart = 8 + headerLength;
        long bufferLength = fileSize - bufferStart;
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                readMetadata(field.getValue());
            } else {
                entries.add(readEntry(field.getKey(), field.getValue(), bufferStart, bufferLength));
            }
        }
        checkTiling(bufferStart, bufferLength);
    }

    private void readMetadata(JsonNode node) throws IOException {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw bad("__metadata__ is a JSON " + node.getNodeType().name().toLowerCase() + ", not an object of strings");
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual()) {
                throw bad("__metadata__ value of '" + kv.getKey() + "' is " + kv.getValue()
                        + ", not a string (safetensors metadata maps strings to strings)");
            }
            metadata.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private Entry readEntry(String name, JsonNode node, long bufferStart, long bufferLength) throws IOException {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw bad(where + " is described by " + node + ", not an object with dtype, shape and data_offsets");
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            String k = kv.getKey();
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw bad(where + " has an unknown field '" + k + "'");
            }
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw bad(where + " has " + (dtypeNode == null ? "no dtype" : "dtype " + dtypeNode + ", not a string"));
        }
        String dtypeName = dtypeNode.textValue();
        FileDType dtype;
        try {
            dtype = FileDType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw bad(where + " has " + (FileDType.UNSUPPORTED.contains(dtypeName) ? "dtype " + dtypeName
                    + ", which this engine does not support" : "unknown dtype '" + dtypeName + "'")
                    + " (supported: F32, I32, I64 scalars)");
        }

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw bad(where + " has " + (shapeNode == null ? "no shape" : "shape " + shapeNode + ", not an array"));
        }
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                throw bad(where + " has shape " + shapeNode + ": extents must be integers in [0, "
                        + Integer.MAX_VALUE + "]");
            }
            shape[i] = d.intValue();
        }
        if (dtype == FileDType.I64 && shape.length != 0) {
            throw bad(where + " is an I64 array of shape " + Shapes.str(shape)
                    + "; this engine reads int64 only as scalars (shape [])");
        }

        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw bad(where + " has " + (offsets == null ? "no data_offsets" : "data_offsets " + offsets
                    + ", not [begin, end]"));
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode o = offsets.get(i);
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
                throw bad(where + " has data_offsets " + offsets + ": offsets must be non-negative integers");
            }
            be[i] = o.longValue();
        }
        long begin = be[0];
        long end = be[1];
        if (end < begin) {
            throw bad(where + " has data_offsets " + offsets + " that end before they begin");
        }
        if (end > bufferLength) {
            throw bad(where + " has data_offsets " + offsets + " outside the data buffer of " + bufferLength + " bytes");
        }
        // The element count without overflow: once above 2^31-1 it stays there, unless an extent is 0.
        long numel = 1;
        for (int d : shape) {
            numel = d == 0 || numel <= Integer.MAX_VALUE ? numel * d : numel;
        }
        if (numel > Integer.MAX_VALUE) {
            throw bad(where + " has shape " + Shapes.str(shape) + ", more than the 2^31-1 elements an array can hold");
        }
        long bytes = numel * dtype.byteSize;
        if (bytes != end - begin) {
            throw bad(where + " of dtype " + dtype + " and shape " + Shapes.str(shape) + " needs " + bytes
                    + " bytes but its data_offsets " + offsets + " span " + (end - begin));
        }
        return new Entry(name, dtype, shape, bufferStart + begin, bufferStart + end);
    }

    /** The tensors must cover the buffer from its first byte to its last, without gaps or overlaps. */
    private void checkTiling(long bufferStart, long bufferLength) throws IOException {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = bufferStart;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin < covered) {
                throw bad("tensors '" + previous.name + "' and '" + e.name + "' overlap in the data buffer");
            }
            if (e.begin > covered) {
                throw bad((e.begin - covered) + " bytes of the data buffer before tensor '" + e.name
                        + "' belong to no tensor");
            }
            covered = e.end;
            previous = e;
        }
        long unused = bufferStart + bufferLength - covered;
        if (unused != 0) {
            throw bad("the last " + unused + " bytes of the data buffer belong to no tensor");
        }
    }

    private SafetensorsFormatException bad(String problem) {
        return new SafetensorsFormatException(file, problem);
    }

    private SafetensorsFormatException bad(String problem, Throwable cause) {
        return new SafetensorsFormatException(file, problem, cause);
    }
}
