package org.layerensembles.autograd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.core.DType;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.memory.MemoryScope;
import org.layerensembles.core.testing.TestData;

/** Checkpoint save/load of a small module tree with optimizer state and provenance. */
class CheckpointTest {
    @TempDir
    Path dir;

    /** A BatchNorm-like leaf: a parameter, a buffer and an int64 counter. */
    static final class Leaf extends Module {
        final Tensor weight;
        final NDArray runningMean;
        final long[] batches;

        Leaf(long seed, int channels) {
            weight = parameter("weight", Tensor.parameter(TestData.array(seed, channels, 3)));
            runningMean = buffer("running_mean", TestData.array(seed + 1, channels));
            batches = counter("num_batches_tracked");
        }

        @Override
        protected Tensor compute(Tensor input) {
            return input;
        }
    }

    /** A parameter of its own, an int32 buffer and a nested child two levels deep. */
    static final class Net extends Module {
        final Tensor scale;
        final NDArray labels;
        final Leaf leaf;

        Net(long seed, int channels) {
            scale = parameter("scale", Tensor.parameter(TestData.array(seed, 1)));
            labels = buffer("labels", NDArrays.of(new int[] {(int) seed, -1, 7}, 3));
            leaf = register("encoder", new Wrapper(seed, channels)).leaf;
        }

        @Override
        protected Tensor compute(Tensor input) {
            return input;
        }
    }

    static final class Wrapper extends Module {
        final Leaf leaf;

        Wrapper(long seed, int channels) {
            leaf = register("bn", new Leaf(seed + 10, channels));
        }

        @Override
        protected Tensor compute(Tensor input) {
            return input;
        }
    }

    private static Provenance provenance() {
        return new Provenance("{\"model\":\"unet\",\"lr\":0.001}", 1234567890123L, "cpu", "0.1.0-SNAPSHOT",
                Instant.parse("2026-11-27T08:02:46.123456789Z"))
                .with("epoch", "12").with("best_dice", "0.8731");
    }

    @Test
    void saveAndLoadRestoreModelOptimizerAndProvenance() throws IOException {
        Net saved = new Net(1, 4);
        saved.leaf.batches[0] = 300;
        StateDict optimizer = new StateDict()
                .put("state.scale.exp_avg", TestData.array(50, 1))
                .put("state.encoder.bn.weight.exp_avg_sq", TestData.array(51, 4, 3))
                .putLong("step", 3000);
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, saved, optimizer, provenance());

        // The file as PyTorch sees it: the model's state_dict names as they are, optimizer prefixed.
        Safetensors.Loaded raw = Safetensors.read(file);
        // A safetensors header is a JSON object: the names matter, not their order.
        assertEquals(java.util.Set.of("scale", "labels", "encoder.bn.weight", "encoder.bn.running_mean",
                "optimizer.state.scale.exp_avg", "optimizer.state.encoder.bn.weight.exp_avg_sq",
                "encoder.bn.num_batches_tracked", "optimizer.step"), java.util.Set.copyOf(raw.state().names()));
        assertEquals("pt", raw.metadata().get("format"));
        assertEquals("1234567890123", raw.metadata().get("seed"));
        assertEquals("2026-11-27T08:02:46.123456789Z", raw.metadata().get("date"));
        assertEquals("{\"model\":\"unet\",\"lr\":0.001}", raw.metadata().get("config"));
        assertEquals("12", raw.metadata().get("epoch"));

        Net restored = new Net(2, 4);
        Checkpoint.Loaded loaded = Checkpoint.load(file, restored);

        assertBits(saved.scale.data(), restored.scale.data());
        assertArrayEquals(saved.labels.toIntArray(), restored.labels.toIntArray());
        assertBits(saved.leaf.weight.data(), restored.leaf.weight.data());
        assertBits(saved.leaf.runningMean, restored.leaf.runningMean);
        assertEquals(300, restored.leaf.batches[0]);
        assertTrue(restored.scale.requiresGrad(), "parameters stay parameters");

        assertEquals(java.util.Set.of("state.scale.exp_avg", "state.encoder.bn.weight.exp_avg_sq", "step"),
                java.util.Set.copyOf(loaded.optimizerState().names()));
        assertBits(optimizer.array("state.encoder.bn.weight.exp_avg_sq"),
                loaded.optimizerState().array("state.encoder.bn.weight.exp_avg_sq"));
        assertEquals(3000L, loaded.optimizerState().longValue("step"));
        assertEquals(provenance(), loaded.provenance());
        assertEquals(List.of("epoch", "best_dice"), List.copyOf(loaded.provenance().extra().keySet()));
    }

    @Test
    void optimizerStateLivesInTheCallersScopeAndModelCopiesAreFreed() throws IOException {
        Net saved = new Net(1, 64);
        StateDict optimizer = new StateDict().put("m", TestData.array(5, 2));
        Path file = dir.resolve("scoped.safetensors");
        Checkpoint.save(file, saved, optimizer, provenance());

        Net restored = new Net(3, 64);
        NDArray m;
        try (MemoryScope scope = MemoryScope.open()) {
            m = Checkpoint.load(file, restored).optimizerState().array("m");
            assertTrue(m.isAlive());
            assertEquals(m.allocation().owner(), scope, "optimizer arrays belong to the caller's scope");
            // Only the optimizer's 8 bytes stay (rounded to the pool's smallest class), not the model's ~1 KB.
            assertTrue(scope.ownedBytes() < 256, "model copies were freed, scope holds " + scope.ownedBytes());
        }
        assertBits(saved.leaf.weight.data(), restored.leaf.weight.data());
    }

    @Test
    void withoutOptimizerStateLoadReturnsAnEmptyDict() throws IOException {
        Path file = dir.resolve("weights.safetensors");
        Checkpoint.save(file, new Net(1, 2), null, provenance());
        Checkpoint.Loaded loaded = Checkpoint.load(file, new Net(9, 2));
        assertEquals(0, loaded.optimizerState().size());
    }

    @Test
    void aMismatchedModelReportsEveryProblemAndKeepsItsValues() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, new Net(1, 4), null, provenance());

        Net other = new Net(2, 5); // every leaf shape differs
        float[] before = other.leaf.weight.data().toFloatArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file, other));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("'encoder.bn.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("'encoder.bn.running_mean'"), e.getMessage());
        assertArrayEquals(before, other.leaf.weight.data().toFloatArray(), "nothing changed");

        Module missing = new Wrapper(1, 4);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file, missing));
        assertTrue(e2.getMessage().contains("unexpected 'scale'"), e2.getMessage());
        assertTrue(e2.getMessage().contains("missing 'bn.weight'"), e2.getMessage());
    }

    @Test
    void aFileWithoutProvenanceIsNotACheckpoint() throws IOException {
        Net net = new Net(1, 2);
        Path file = dir.resolve("plain.safetensors");
        Safetensors.write(file, net.stateDict(), Map.of("format", "pt", "seed", "x"));
        float[] before = net.scale.data().toFloatArray();
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(file, net));
        assertTrue(e.getMessage().startsWith(file + ": not a checkpoint of this engine"), e.getMessage());
        assertTrue(e.getMessage().contains("'config' is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("seed 'x' is not an integer"), e.getMessage());
        assertArrayEquals(before, net.scale.data().toFloatArray());
    }

    @Test
    void aCorruptCheckpointIsReportedAsSuch() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, new Net(1, 2), null, provenance());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4)); // truncated
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> Checkpoint.load(file, new Net(1, 2)));
        assertTrue(e.getMessage().contains("outside the data buffer"), e.getMessage());
    }

    @Test
    void modelNamesMustNotLookLikeOptimizerState() {
        Module clash = new Module() {
            {
                register("optimizer", new Leaf(1, 2));
            }

            @Override
            protected Tensor compute(Tensor input) {
                return input;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(dir.resolve("x.safetensors"), clash, null, provenance()));
        assertTrue(e.getMessage().contains("optimizer.weight"), e.getMessage());
    }

    private static void assertBits(NDArray expected, NDArray actual) {
        assertEquals(DType.FLOAT32, actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        float[] a = expected.toFloatArray();
        float[] b = actual.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "element " + i);
        }
    }
}
