package org.layerensembles.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** One run of the {@code le} command line in-process, with its exit code, standard output and errors. */
record CliRun(int exit, String out, String err) {

    static CliRun run(String... args) {
        StringWriter err = new StringWriter();
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            // Before the command line is built, so that its usage help also lands here.
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err, true));
            exit = cli.execute(args);
            cli.getOut().flush();
        } finally {
            System.setOut(saved);
        }
        return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    }
}
