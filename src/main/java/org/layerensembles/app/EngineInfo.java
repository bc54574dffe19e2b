package org.layerensembles.app;

import jdk.incubator.vector.FloatVector;
import org.layerensembles.core.cpu.Parallel;
import picocli.CommandLine.IVersionProvider;

/** What this engine is and what it runs on: printed by {@code le info} and {@code le --version}. */
final class EngineInfo implements IVersionProvider {
    static final String VERSION = "0.1.0-SNAPSHOT";

    @Override
    public String[] getVersion() {
        return new String[] {"layer-ensembles " + VERSION + " (Java " + Runtime.version() + ")"};
    }

    static String describe() {
        return String.join("\n",
                "engine       layer-ensembles " + VERSION,
                "java         " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")",
                "backend      cpu",
                "threads      " + Parallel.threads() + " (set with -Dle.threads=N in LE_JAVA_OPTS)",
                "float vector " + FloatVector.SPECIES_PREFERRED.length() + " lanes ("
                        + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits)",
                "os           " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }
}
