package org.layerensembles.autograd.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.autograd.nn.StateDict;
import org.layerensembles.core.memory.MemoryScope;

/**
 * A training checkpoint in one safetensors file: the model's {@code stateDict()} under its own
 * dotted names (exactly PyTorch's {@code state_dict} names, so
 * {@code model.load_state_dict(safetensors.torch.load_file(p), strict=False)} loads it in PyTorch),
 * the optimizer's state under {@value #OPTIMIZER_PREFIX}, and the {@link Provenance} in the
 * metadata (with {@code "format": "pt"}, as PyTorch's writer marks its files).
 *
 * <pre>{@code
 * Checkpoint.save(dir.resolve("epoch-12.safetensors"), model, optimizer.stateDict(),
 *         Provenance.now(configJson, seed, Autograd.backend().name(), "0.1.0").with("epoch", "12"));
 * try (var active = optimizerScope.activate()) {
 *     Checkpoint.Loaded c = Checkpoint.load(path, model);   // model updated in place
 *     optimizer.loadStateDict(c.optimizerState());
 * }
 * }</pre>
 */
public final class Checkpoint {
    /** The prefix of optimizer entries in the file. */
    public static final String OPTIMIZER_PREFIX = "optimizer.";

    private Checkpoint() {
    }

    /** What {@link #load} returns beside the model it updates. */
    public record Loaded(StateDict optimizerState, Provenance provenance) {
    }

    /**
     * Writes the model's state, the optimizer's state (may be null) and the provenance to
     * {@code path}, atomically (see {@link Safetensors#write}).
     *
     * @throws IllegalArgumentException when a model entry's name starts with
     *                                  {@value #OPTIMIZER_PREFIX} (it could not be told apart)
     */
    public static void save(Path path, Module model, StateDict optimizerState, Provenance provenance)
            throws IOException {
        Objects.requireNonNull(provenance, "provenance");
        StateDict modelState = model.stateDict();
        List<String> clashing = modelState.names().stream().filter(n -> n.startsWith(OPTIMIZER_PREFIX)).toList();
        if (!clashing.isEmpty()) {
            throw new IllegalArgumentException("model entries " + clashing + " start with '" + OPTIMIZER_PREFIX
                    + "', which marks optimizer state in a checkpoint; rename the module");
        }
        StateDict all = new StateDict().putAll("", modelState);
        if (optimizerState != null) {
            all.putAll(OPTIMIZER_PREFIX, optimizerState);
        }
        Map<String, String> metadata = new LinkedHashMap<>(provenance.toMetadata());
        metadata.put(Provenance.FORMAT, "pt");
        Safetensors.write(path, all, metadata);
    }

    /**
     * Loads a checkpoint: the model's entries go into {@code model} ({@link Module#loadStateDict},
     * which reports every missing or unexpected name and every shape or dtype mismatch at once and
     * changes nothing then); the optimizer's entries come back, prefix removed, in arrays of the
     * current memory scope (an empty dict when the file has none). The model's entries are read
     * into a scope of their own, freed once copied.
     *
     * @throws SafetensorsFormatException when the file is not a valid safetensors file
     * @throws IOException                when its metadata lacks the provenance of a checkpoint
     *                                    (plain weight files are read with {@link Safetensors#read})
     * @throws IllegalArgumentException   when the file's model entries do not fit {@code model}
     */
    @SuppressWarnings("try") // the scope is used for what it frees on closing
    public static Loaded load(Path path, Module model) throws IOException {
        try (SafetensorsReader reader = new SafetensorsReader(path)) {
            Provenance provenance;
            try {
                provenance = Provenance.fromMetadata(reader.metadata());
            } catch (IllegalArgumentException e) {
                throw new IOException(path + ": not a checkpoint of this engine (" + e.getMessage()
                        + "); read plain weight files with Safetensors.read", e);
            }
            try (MemoryScope modelEntries = MemoryScope.open()) {
                StateDict modelState = reader.read(name -> !name.startsWith(OPTIMIZER_PREFIX));
                try {
                    model.loadStateDict(modelState);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
                }
            }
            StateDict optimizerState = reader.read(name -> name.startsWith(OPTIMIZER_PREFIX)).withPrefix(OPTIMIZER_PREFIX);
            return new Loaded(optimizerState, provenance);
        }
    }
}
