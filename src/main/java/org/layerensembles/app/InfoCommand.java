package org.layerensembles.app;

import picocli.CommandLine.Command;

/** {@code le info}: the engine version, backend, threads and vector width. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the engine, backend, threads and vector width.")
final class InfoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println(EngineInfo.describe());
    }
}
