package org.layerensembles.autograd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.TestData;

/**
 * Safetensors reading and writing: bit-exact round trips, the byte layout checked by hand against
 * the format (so PyTorch's reader accepts it), every kind of corrupt file, and atomic replacement.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    // ---- round trips

    /** Float bit patterns that a careless conversion would change. */
    private static final int[] SPECIAL_FLOAT_BITS = {
        0x7fc00000, // quiet NaN
        0x7fc00001, // quiet NaN with a payload
        0xffc12345, // negative NaN with a payload
        0x7f800001, // signalling NaN
        0x80000000, // -0.0
        0x00000001, // smallest subnormal
        0x807fffff, // largest negative subnormal
        0x7f800000, // +inf
        0xff800000, // -inf
        0x3f800000, // 1.0
        0x7f7fffff, // largest float
        0x00800000, // smallest normal
    };

    @Test
    void roundTripIsBitExact() throws IOException {
        StateDict state = new StateDict();
        NDArray special = NDArrays.empty(DType.FLOAT32, 3, 4);
        for (int i = 0; i < SPECIAL_FLOAT_BITS.length; i++) {
            special.segment().setAtIndex(ValueLayout.JAVA_INT, i, SPECIAL_FLOAT_BITS[i]);
        }
        state.put("special", special);
        state.put("ints", NDArrays.of(new int[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 123456789}, 2, 3));
        state.put("scalar", NDArrays.scalar(-2.5f));
        state.put("intScalar", NDArrays.of(new int[] {-7}));
        state.put("empty", NDArrays.empty(DType.FLOAT32, 0));
        state.put("empty3d", NDArrays.empty(DType.INT32, 2, 0, 3));
        state.put("random", TestData.array(11, 5, 7));
        state.putLong("step", 42);
        state.putLong("min", Long.MIN_VALUE);
        state.putLong("max", Long.MAX_VALUE);
        state.putLong("minusOne", -1);

        Path file = dir.resolve("round.safetensors");
        Safetensors.write(file, state, null);
        Safetensors.Loaded loaded = Safetensors.read(file);

        assertEquals(List.copyOf(state.arrays().keySet()), List.copyOf(loaded.state().arrays().keySet()),
                "arrays keep their order");
        assertEquals(List.copyOf(state.longs().keySet()), List.copyOf(loaded.state().longs().keySet()));
        state.arrays().forEach((name, a) -> assertSameArray(name, a, loaded.state().array(name)));
        assertEquals(state.longs(), loaded.state().longs());
        assertEquals(Map.of(), loaded.metadata());
    }

    @Test
    void nonContiguousArraysAreWrittenRowMajor() throws IOException {
        NDArray transposed = TestData.nonContiguous(3, 4, 5);
        NDArray strided = TestData.nonContiguous(4, 9);
        NDArray sliced = TestData.array(5, 6, 8).slice(1, 2, 7);
        NDArray broadcast = NDArrays.of(new float[] {1, 2, 3}, 3).broadcastTo(2, 3);
        NDArray intView = NDArrays.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        for (NDArray a : List.of(transposed, strided, sliced, broadcast, intView)) {
            assertFalse(a.isContiguous(), "the test needs a non-contiguous view");
        }
        StateDict state = new StateDict().put("transposed", transposed).put("strided", strided)
                .put("sliced", sliced).put("broadcast", broadcast).put("intView", intView);

        Path file = dir.resolve("views.safetensors");
        Safetensors.write(file, state, Map.of());
        StateDict back = Safetensors.read(file).state();
        state.arrays().forEach((name, a) -> {
            NDArray b = back.array(name);
            assertTrue(b.isContiguous());
            assertSameArray(name, a, b);
        });
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, back.array("broadcast").toFloatArray());
        assertArrayEquals(new int[] {1, 4, 2, 5, 3, 6}, back.array("intView").toIntArray());
    }

    @Test
    void largeArraysCrossTheCopyChunks() throws IOException {
        // 3 MiB + 3 elements: more than one 1 MiB staging chunk, not a multiple of it.
        int n = 3 * (1 << 18) + 3;
        NDArray big = NDArrays.arange(n);
        Path file = dir.resolve("big.safetensors");
        Safetensors.write(file, new StateDict().putLong("a", 1).put("big", big), null);
        assertSameArray("big", big, Safetensors.read(file).state().array("big"));
    }

    @Test
    void metadataRoundTrips() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("config", "{\"lr\": 0.001, \"name\": \"u-net \\\"small\\\"\"}");
        metadata.put("empty", "");
        metadata.put("unicode ключ", "värde ✓ 𝜎");
        metadata.put("lines", "a\nb\tc\\d");
        Path file = dir.resolve("meta.safetensors");
        Safetensors.write(file, new StateDict().put("x", NDArrays.scalar(1f)), metadata);
        Safetensors.Loaded loaded = Safetensors.read(file);
        assertEquals(metadata, loaded.metadata());
        assertEquals(List.copyOf(metadata.keySet()), List.copyOf(loaded.metadata().keySet()), "order is kept");

        Safetensors.write(file, new StateDict(), Map.of("only", "metadata"));
        Safetensors.Loaded none = Safetensors.read(file);
        assertEquals(0, none.state().size());
        assertEquals(Map.of("only", "metadata"), none.metadata());
    }

    @Test
    void writeRejectsReservedNamesAndNullMetadata() {
        Path file = dir.resolve("bad.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(file, new StateDict().put("__metadata__", NDArrays.scalar(1f)), null));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
        Map<String, String> withNull = new LinkedHashMap<>();
        withNull.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, new StateDict(), withNull));
        assertFalse(Files.exists(file));
    }

    // ---- the exact layout

    @Test
    void byteLayoutFollowsTheFormat() throws IOException {
        StateDict state = new StateDict()
                .put("w", NDArrays.of(new float[] {1f, -2f}, 2))
                .put("i", NDArrays.of(new int[] {3}, 1))
                .putLong("n", 7);
        Path file = dir.resolve("layout.safetensors");
        Safetensors.write(file, state, Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(file);

        // int64 scalars first (8-byte aligned), then arrays in insertion order.
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[16,20]}}";
        int headerLength = (json.length() + 7) / 8 * 8;
        assertEquals(0, (8 + headerLength) % 8, "the data starts 8-byte aligned");
        assertEquals(8 + headerLength + 20, bytes.length);

        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(headerLength, buf.getLong(0), "u64 little-endian header length");
        String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8);
        assertEquals(json + " ".repeat(headerLength - json.length()), header, "compact JSON padded with spaces");

        int data = 8 + headerLength;
        byte[] expected = {
            7, 0, 0, 0, 0, 0, 0, 0,               // n = 7 as int64 LE
            0, 0, (byte) 0x80, 0x3f,              // 1.0f
            0, 0, 0, (byte) 0xc0,                 // -2.0f
            3, 0, 0, 0,                           // 3 as int32 LE
        };
        byte[] actual = new byte[20];
        System.arraycopy(bytes, data, actual, 0, 20);
        assertArrayEquals(expected, actual);
    }

    @Test
    void readsAHandMadeFileWithPaddingAndAnyOrder() throws IOException {
        // Written the way another writer might: tensors listed out of buffer order, no metadata,
        // header padded with spaces.
        String json = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"a\":{\"data_offsets\":[0,4],\"shape\":[],\"dtype\":\"I32\"}}   ";
        byte[] data = {1, 0, 0, 0, 0, 0, (byte) 0xc0, 0x3f};
        Path file = write("hand.safetensors", json, data);
        Safetensors.Loaded loaded = Safetensors.read(file);
        assertEquals(List.of("b", "a"), List.copyOf(loaded.state().names()), "header order");
        assertEquals(1.5f, loaded.state().array("b").getFloat(0));
        assertEquals(1, loaded.state().array("a").getInt());
        assertEquals(0, loaded.state().array("a").rank());
    }

    // ---- corrupt files: each names the file and the problem

    @Test
    void rejectsTooShortFiles() throws IOException {
        expectBad(raw("empty", new byte[0]), "fewer than the 8");
        expectBad(raw("five", new byte[5]), "fewer than the 8");
    }

    @Test
    void rejectsBadHeaderLengths() throws IOException {
        expectBad(raw("past-end", lengthThen(100, new byte[20])), "larger than the 20 bytes");
        expectBad(raw("absurd", lengthThen(200_000_000L, new byte[20])), "absurd");
        expectBad(raw("negative", lengthThen(-1L, new byte[20])), "18446744073709551615");
        expectBad(raw("zero", lengthThen(0, new byte[0])), "empty");
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        expectBad(write("truncated", "{\"a\":{", new byte[0]), "not well-formed JSON");
        expectBad(write("trailing", "{} x", new byte[0]), "not well-formed JSON");
        expectBad(write("array", "[1,2]", new byte[0]), "array, not an object");
        expectBad(write("string", "\"hello\"", new byte[0]), "string, not an object");
        expectBad(write("spaces", "        ", new byte[0]), "empty");
        byte[] badUtf8 = lengthThen(4, new byte[] {'{', (byte) 0xc3, 0x28, '}'});
        expectBad(raw("utf8", badUtf8), "UTF-8");
        expectBad(write("entry-number", "{\"a\":3}", new byte[0]), "not an object with dtype");
        expectBad(write("unknown-field", "{\"a\":" + entry("F32", "[]", 0, 4).replace("}", ",\"extra\":1}") + "}",
                new byte[4]), "unknown field 'extra'");
        expectBad(write("no-dtype", "{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]), "no dtype");
        expectBad(write("no-shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), "no shape");
        expectBad(write("no-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", new byte[4]), "no data_offsets");
        expectBad(write("dtype-number", "{\"a\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]),
                "not a string");
    }

    @Test
    void rejectsUnknownAndUnsupportedDtypes() throws IOException {
        expectBad(write("unknown", "{\"a\":" + entry("Q7", "[1]", 0, 4) + "}", new byte[4]), "unknown dtype 'Q7'");
        expectBad(write("f16", "{\"a\":" + entry("F16", "[2]", 0, 4) + "}", new byte[4]), "F16");
        expectBad(write("i64-array", "{\"a\":" + entry("I64", "[2]", 0, 16) + "}", new byte[16]), "only as scalars");
    }

    @Test
    void rejectsBadShapes() throws IOException {
        expectBad(write("negative", "{\"a\":" + entry("F32", "[-1]", 0, 0) + "}", new byte[0]), "extents must be");
        expectBad(write("fraction", "{\"a\":" + entry("F32", "[2.5]", 0, 8) + "}", new byte[8]), "extents must be");
        expectBad(write("huge", "{\"a\":" + entry("F32", "[4294967296]", 0, 0) + "}", new byte[0]), "extents must be");
        expectBad(write("not-array", "{\"a\":" + entry("F32", "3", 0, 12) + "}", new byte[12]), "not an array");
        // 65536^4 = 2^64 wraps to 0 in 64-bit arithmetic: must not pass as an empty tensor.
        expectBad(write("wraps", "{\"a\":" + entry("F32", "[65536,65536,65536,65536]", 0, 0) + "}", new byte[0]),
                "more than the 2^31-1 elements");
    }

    @Test
    void rejectsShapeOffsetDisagreement() throws IOException {
        expectBad(write("short", "{\"a\":" + entry("F32", "[2]", 0, 4) + "}", new byte[4]), "needs 8 bytes");
        expectBad(write("long", "{\"a\":" + entry("I32", "[]", 0, 8) + "}", new byte[8]), "needs 4 bytes");
        expectBad(write("i64", "{\"a\":" + entry("I64", "[]", 0, 4) + "}", new byte[4]), "needs 8 bytes");
    }

    @Test
    void rejectsBadOffsets() throws IOException {
        expectBad(write("outside", "{\"a\":" + entry("F32", "[2]", 0, 8) + "}", new byte[4]), "outside the data buffer");
        expectBad(write("reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", new byte[8]),
                "end before they begin");
        expectBad(write("one-offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0]}}", new byte[0]),
                "not [begin, end]");
        expectBad(write("neg-offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[0]),
                "non-negative");
        expectBad(write("overlap", "{\"a\":" + entry("F32", "[2]", 0, 8) + ",\"b\":" + entry("F32", "[2]", 4, 12) + "}",
                new byte[12]), "'a' and 'b' overlap");
        expectBad(write("overlap-empty", "{\"a\":" + entry("F32", "[2]", 0, 8) + ",\"e\":" + entry("F32", "[0]", 4, 4)
                + "}", new byte[8]), "overlap");
        expectBad(write("gap", "{\"a\":" + entry("F32", "[1]", 0, 4) + ",\"b\":" + entry("F32", "[1]", 8, 12) + "}",
                new byte[12]), "4 bytes of the data buffer before tensor 'b'");
        expectBad(write("gap-first", "{\"a\":" + entry("F32", "[1]", 4, 8) + "}", new byte[8]),
                "before tensor 'a'");
        expectBad(write("leftover", "{\"a\":" + entry("F32", "[1]", 0, 4) + "}", new byte[8]),
                "last 4 bytes of the data buffer");
        expectBad(write("no-tensors", "{}", new byte[4]), "last 4 bytes");
    }

    @Test
    void rejectsDuplicateNames() throws IOException {
        expectBad(write("dup", "{\"a\":" + entry("F32", "[1]", 0, 4) + ",\"a\":" + entry("F32", "[1]", 4, 8) + "}",
                new byte[8]), "duplicate name");
    }

    @Test
    void rejectsBadMetadata() throws IOException {
        String a = ",\"a\":" + entry("F32", "[]", 0, 4) + "}";
        expectBad(write("meta-number", "{\"__metadata__\":{\"epoch\":3}" + a, new byte[4]),
                "value of 'epoch' is 3, not a string");
        expectBad(write("meta-null-value", "{\"__metadata__\":{\"k\":null}" + a, new byte[4]), "not a string");
        expectBad(write("meta-array", "{\"__metadata__\":[1]" + a, new byte[4]), "not an object of strings");
        // A null __metadata__ is what some writers put for "none": accepted as empty.
        assertEquals(Map.of(), Safetensors.read(write("meta-null", "{\"__metadata__\":null" + a, new byte[4])).metadata());
    }

    @Test
    void aBadFileAllocatesNothing() throws IOException {
        Path file = write("bad-late", "{\"a\":" + entry("F32", "[1]", 0, 4) + ",\"b\":" + entry("Q7", "[1]", 4, 8) + "}",
                new byte[8]);
        try (MemoryScope scope = MemoryScope.open()) {
            expectBad(file, "unknown dtype");
            assertEquals(0, scope.ownedBytes(), "the header is checked before any array is allocated");
        }
    }

    // ---- atomic replacement

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, new StateDict().put("w", TestData.array(1, 4, 4)), Map.of("v", "1"));
        byte[] good = Files.readAllBytes(file);

        StateDict next = new StateDict().put("first", TestData.array(2, 64, 64)).put("second", TestData.array(3, 64, 64));
        IOException e = assertThrows(IOException.class, () -> Safetensors.write(file, next, Map.of("v", "2"), name -> {
            if (name.equals("first")) {
                throw new IOException("disk full (simulated)");
            }
        }));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(good, Files.readAllBytes(file), "the good file is untouched");
        assertEquals(List.of(file), listDir(), "no temporary file is left");

        // An unchecked failure midway (a bug, an array freed by another thread) cleans up too.
        assertThrows(IllegalStateException.class, () -> Safetensors.write(file, next, null, name -> {
            throw new IllegalStateException("array used after its memory scope closed (simulated)");
        }));
        assertArrayEquals(good, Files.readAllBytes(file));
        assertEquals(List.of(file), listDir());

        // And the same failure with no file there before leaves nothing.
        Path fresh = dir.resolve("fresh.safetensors");
        assertThrows(IOException.class, () -> Safetensors.write(fresh, next, null, name -> {
            throw new IOException("simulated");
        }));
        assertEquals(List.of(file), listDir());

        // A successful write replaces the file whole.
        Safetensors.write(file, next, Map.of("v", "2"));
        assertEquals(Map.of("v", "2"), Safetensors.read(file).metadata());
        assertEquals(List.of(file), listDir());
    }

    @Test
    @SuppressWarnings("try")
    void aFreedArrayIsRejectedBeforeTouchingTheFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, new StateDict().put("w", TestData.array(1, 3)), null);
        byte[] good = Files.readAllBytes(file);
        NDArray freed;
        try (MemoryScope scope = MemoryScope.open()) {
            freed = NDArrays.zeros(8);
        }
        StateDict state = new StateDict().put("ok", TestData.array(4, 2)).put("freed", freed);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, state, null));
        assertTrue(e.getMessage().contains("[freed]"), e.getMessage());
        assertArrayEquals(good, Files.readAllBytes(file));
        assertEquals(List.of(file), listDir());
    }

    // ---- helpers

    private static void assertSameArray(String name, NDArray expected, NDArray actual) {
        assertEquals(expected.dtype(), actual.dtype(), name);
        assertArrayEquals(expected.shape(), actual.shape(), name);
        assertArrayEquals(rawWords(expected), rawWords(actual), name + ": bit patterns");
    }

    /** The elements' 32-bit patterns in row-major order (no float conversion anywhere). */
    private static int[] rawWords(NDArray a) {
        NDArray c = a.contiguous();
        int[] out = new int[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            MemorySegment.copy(c.segment(), ValueLayout.JAVA_INT, c.offset() * 4, out, 0, out.length);
        }
        return out;
    }

    private static String entry(String dtype, String shape, long begin, long end) {
        return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private static byte[] lengthThen(long length, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(rest).array();
    }

    /** A file made of a header (length set to match) and a data buffer. */
    private Path write(String name, String json, byte[] data) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[header.length + data.length];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(data, 0, body, header.length, data.length);
        return raw(name, lengthThen(header.length, body));
    }

    private Path raw(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        Files.write(file, bytes);
        return file;
    }

    private static void expectBad(Path file, String phrase) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(phrase), "expected '" + phrase + "' in: " + e.getMessage());
    }

    /** Every file in the test's directory (temporary files start with a dot: they show up too). */
    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
