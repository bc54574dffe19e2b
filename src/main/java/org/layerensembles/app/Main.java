package org.layerensembles.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code le} command-line tool. */
@Command(name = "le", mixinStandardHelpOptions = true, versionProvider = EngineInfo.class,
        description = "Layer Ensembles: single-pass uncertainty for image segmentation, on the JVM.",
        subcommands = {InfoCommand.class, ExampleCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
