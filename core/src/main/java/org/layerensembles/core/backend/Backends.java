package org.layerensembles.core.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.layerensembles.core.cpu.CpuBackend;

/**
 * Finds backends: "cpu" is built in; others (cuda) register through {@link ServiceLoader} as
 * {@link BackendProvider}s.
 */
public final class Backends {
    private static final CpuBackend CPU = new CpuBackend();

    private Backends() {
    }

    public static Backend cpu() {
        return CPU;
    }

    /** The backend with this name. */
    public static Backend get(String name) {
        if (name.equals(CPU.name())) {
            return CPU;
        }
        List<String> known = new ArrayList<>(List.of(CPU.name()));
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equals(name)) {
                return p.create();
            }
            known.add(p.name());
        }
        throw new IllegalArgumentException("no backend named '" + name + "'; available: " + known);
    }
}
