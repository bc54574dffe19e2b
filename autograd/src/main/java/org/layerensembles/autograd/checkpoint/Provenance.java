package org.layerensembles.autograd.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where a checkpoint came from, written into its {@code __metadata__} (strings only, as the
 * format requires) so that any result can be traced back to the run that made it.
 *
 * @param configJson    the run's configuration as a JSON document (checked to be well-formed)
 * @param seed          the seed the run started from
 * @param backend       the backend that computed it, e.g. {@code Autograd.backend().name()}
 * @param engineVersion the engine's version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param date          when the checkpoint was made; written ISO-8601 ({@link Instant#toString()})
 * @param extra         free-form entries (epoch, best validation Dice, git commit, ...), in order
 */
public record Provenance(String configJson, long seed, String backend, String engineVersion, Instant date,
                         Map<String, String> extra) {
    /** Metadata keys of the typed fields. */
    public static final String CONFIG = "config";
    public static final String SEED = "seed";
    public static final String BACKEND = "backend";
    public static final String ENGINE_VERSION = "engine_version";
    public static final String DATE = "date";
    /** Written by {@link Checkpoint} ({@code "pt"}, the marker of PyTorch's safetensors writer). */
    public static final String FORMAT = "format";

    private static final Set<String> RESERVED = Set.of(CONFIG, SEED, BACKEND, ENGINE_VERSION, DATE, FORMAT);

    public Provenance {
        Objects.requireNonNull(configJson, "configJson");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(engineVersion, "engineVersion");
        Objects.requireNonNull(date, "date");
        try {
            if (SafetensorsReader.JSON.readTree(configJson).isMissingNode()) {
                throw new IllegalArgumentException("provenance configJson is empty; use \"{}\" for no configuration");
            }
        } catch (JacksonException e) {
            throw new IllegalArgumentException("provenance configJson is not well-formed JSON: " + e.getOriginalMessage(), e);
        }
        Map<String, String> copy = new LinkedHashMap<>();
        (extra == null ? Map.<String, String>of() : extra).forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("provenance entries need non-null keys and values, got " + k + " = " + v);
            }
            if (RESERVED.contains(k)) {
                throw new IllegalArgumentException("provenance entry '" + k + "' is reserved; reserved keys: " + RESERVED);
            }
            copy.put(k, v);
        });
        extra = Collections.unmodifiableMap(copy);
    }

    /** Provenance with no free-form entries. */
    public Provenance(String configJson, long seed, String backend, String engineVersion, Instant date) {
        this(configJson, seed, backend, engineVersion, date, Map.of());
    }

    /** Provenance dated now. */
    public static Provenance now(String configJson, long seed, String backend, String engineVersion) {
        return new Provenance(configJson, seed, backend, engineVersion, Instant.now());
    }

    /** A copy with one more free-form entry (replacing an entry of the same key). */
    public Provenance with(String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(extra);
        more.put(key, value);
        return new Provenance(configJson, seed, backend, engineVersion, date, more);
    }

    /** The typed fields under their keys, then the free-form entries. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(CONFIG, configJson);
        m.put(SEED, Long.toString(seed));
        m.put(BACKEND, backend);
        m.put(ENGINE_VERSION, engineVersion);
        m.put(DATE, date.toString());
        m.putAll(extra);
        return m;
    }

    /**
     * Reads provenance back from a file's metadata; keys other than the typed fields' (and
     * {@link #FORMAT}) become free-form entries.
     *
     * @throws IllegalArgumentException naming every missing or unreadable field
     */
    public static Provenance fromMetadata(Map<String, String> metadata) {
        List<String> problems = new ArrayList<>();
        for (String key : List.of(CONFIG, SEED, BACKEND, ENGINE_VERSION, DATE)) {
            if (!metadata.containsKey(key)) {
                problems.add("'" + key + "' is missing");
            }
        }
        long seed = 0;
        if (metadata.containsKey(SEED)) {
            try {
                seed = Long.parseLong(metadata.get(SEED));
            } catch (NumberFormatException e) {
                problems.add("seed '" + metadata.get(SEED) + "' is not an integer");
            }
        }
        Instant date = null;
        if (metadata.containsKey(DATE)) {
            date = parseDate(metadata.get(DATE));
            if (date == null) {
                problems.add("date '" + metadata.get(DATE) + "' is not an ISO-8601 date-time");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("provenance: " + String.join("; ", problems));
        }
        Map<String, String> extra = new LinkedHashMap<>(metadata);
        extra.keySet().removeAll(RESERVED);
        return new Provenance(metadata.get(CONFIG), seed, metadata.get(BACKEND), metadata.get(ENGINE_VERSION), date, extra);
    }

    private static Instant parseDate(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
