package org.layerensembles.app;

import java.io.IOException;
import org.layerensembles.data.DatasetException;
import org.layerensembles.training.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code le} command-line tool. */
@Command(name = "le", mixinStandardHelpOptions = true, versionProvider = EngineInfo.class,
        description = "Layer Ensembles: single-pass uncertainty for image segmentation, on the JVM.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvaluateCommand.class, PredictCommand.class,
            ExampleCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling: bad input prints one clear line and exits 2. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof IOException || e instanceof IllegalStateException
                    || e instanceof DatasetException || e instanceof TrainingDivergedException) {
                cmd.getErr().println("le " + cmd.getCommandName() + ": " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
