package org.layerensembles.autograd.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Provenance to and from string metadata. */
class ProvenanceTest {
    private static final Instant DATE = Instant.parse("2026-01-02T03:04:05Z");

    @Test
    void metadataRoundTripKeepsTypedFieldsAndExtraEntriesInOrder() {
        Provenance p = new Provenance("{\"a\":[1,2]}", -5, "nd4j", "0.1.0", DATE).with("z", "1").with("a", "2");
        Map<String, String> m = p.toMetadata();
        assertEquals(List.of("config", "seed", "backend", "engine_version", "date", "z", "a"), List.copyOf(m.keySet()));
        assertEquals("-5", m.get("seed"));
        assertEquals("2026-01-02T03:04:05Z", m.get("date"));
        assertEquals(p, Provenance.fromMetadata(m));
        assertEquals("3", p.with("z", "3").extra().get("z"), "with() replaces an entry");
    }

    @Test
    void readsDatesWithAnOffsetAndIgnoresTheFormatMarker() {
        Map<String, String> m = new LinkedHashMap<>(new Provenance("{}", 1, "cpu", "v", DATE).toMetadata());
        m.put("date", "2026-01-02T05:04:05+02:00");
        m.put("format", "pt");
        Provenance p = Provenance.fromMetadata(m);
        assertEquals(DATE, p.date());
        assertEquals(Map.of(), p.extra());
    }

    @Test
    void reportsEveryMissingOrUnreadableField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Provenance.fromMetadata(Map.of("seed", "1.5", "date", "yesterday", "backend", "cpu")));
        for (String phrase : List.of("'config' is missing", "'engine_version' is missing", "seed '1.5' is not an integer",
                "date 'yesterday' is not an ISO-8601")) {
            assertTrue(e.getMessage().contains(phrase), e.getMessage());
        }
    }

    @Test
    void rejectsReservedExtraKeysAndMalformedConfig() {
        Provenance p = new Provenance("{}", 1, "cpu", "v", DATE);
        assertThrows(IllegalArgumentException.class, () -> p.with("seed", "2"));
        assertThrows(IllegalArgumentException.class, () -> p.with("format", "np"));
        assertThrows(IllegalArgumentException.class, () -> p.with("k", null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Provenance("{lr: 0.1", 1, "cpu", "v", DATE));
        assertTrue(e.getMessage().contains("not well-formed JSON"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Provenance(" ", 1, "cpu", "v", DATE));
    }
}
