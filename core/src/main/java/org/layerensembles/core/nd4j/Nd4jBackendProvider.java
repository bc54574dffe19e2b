package org.layerensembles.core.nd4j;

import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BackendProvider;

/**
 * Registers {@link Nd4jBackend} as "nd4j" with {@link org.layerensembles.core.backend.Backends}.
 * Touches no ND4J class until {@link #create()}, so listing backends works without ND4J.
 */
public final class Nd4jBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public Backend create() {
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j", false, Nd4jBackendProvider.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the nd4j backend needs ND4J on the classpath: add org.nd4j:nd4j-native "
                    + "1.0.0-M2.1 (classifier linux-x86_64-onednn-avx2) to your dependencies", e);
        }
        return new Nd4jBackend();
    }
}
