package org.layerensembles.jmh;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.DefaultDependencyResolutionRequest;
import org.apache.maven.project.DependencyResolutionException;
import org.apache.maven.project.DependencyResolutionResult;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.ProjectDependenciesResolver;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.graph.Dependency;

/**
 * {@code mvn jmh:run}: runs the JMH suite of the {@code benchmarks} module in a forked JVM.
 *
 * <p>The goal is an aggregator: run from the top directory it executes once. It takes the
 * {@code benchmarks} project from the reactor and resolves its runtime dependencies itself
 * (sibling modules from the reactor's build output or the local repository, the rest from the local
 * repository), so the project must have been built first with {@code mvn install -DskipTests}.
 * The benchmark classes come from {@code benchmarks/target/classes} when it holds JMH's generated
 * {@code META-INF/BenchmarkList}, otherwise from the installed {@code benchmarks} jar.
 *
 * <p>The JVM is the one running Maven ({@code java.home}), started with the project's flags
 * ({@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED}); JMH passes the
 * same flags on to the JVMs it forks.
 */
@Mojo(name = "run", aggregator = true, requiresProject = true, threadSafe = true)
public class RunMojo extends AbstractMojo {

    /** JVM flags the benchmarks need; JMH copies them into its forks. */
    static final List<String> JVM_FLAGS =
            List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");

    /** Quick mode: one fork, one warm-up and two measurement iterations of one second each. */
    static final List<String> QUICK_ARGS = List.of("-f", "1", "-wi", "1", "-w", "1s", "-i", "2", "-r", "1s");

    /** Regular expression selecting benchmarks (JMH's include pattern); all benchmarks when empty. */
    @Parameter(property = "jmh.include")
    String include;

    /** Quick mode: {@code -f 1 -wi 1 -w 1s -i 2 -r 1s} (given before {@link #args}, which can override it). */
    @Parameter(property = "jmh.quick", defaultValue = "false")
    boolean quick;

    /**
     * Writes JMH's results as JSON to this file ({@code -rf json -rff FILE}); a relative path is
     * taken from the directory Maven was started in, and missing folders are created.
     */
    @Parameter(property = "jmh.json")
    String json;

    /** Further JMH arguments, split on white space; single or double quotes group words. */
    @Parameter(property = "jmh.args")
    String args;

    /** Extra JVM options for the JVM running JMH's main class (split like {@link #args}). */
    @Parameter(property = "jmh.jvmArgs")
    String jvmArgs;

    /** ArtifactId of the reactor module whose benchmarks are run. */
    @Parameter(property = "jmh.module", defaultValue = "benchmarks")
    String module;

    @Parameter(defaultValue = "${session}", readonly = true, required = true)
    MavenSession session;

    @Component
    ProjectDependenciesResolver resolver;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        MavenProject bench = findModule();
        if (json != null && !json.isBlank()) {
            // Relative to the directory Maven was started in; its folders are created.
            Path out = Path.of(session.getExecutionRootDirectory()).resolve(json.strip()).toAbsolutePath();
            try {
                Files.createDirectories(out.getParent());
            } catch (IOException e) {
                throw new MojoExecutionException("Could not create the folder of " + out, e);
            }
            json = out.toString();
        }
        List<String> classpath = classpath(bench);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_FLAGS);
        command.addAll(split(jvmArgs));
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classpath));
        command.add("org.openjdk.jmh.Main");
        command.addAll(jmhArgs(include, quick, json, args));
        getLog().info("JMH arguments: " + jmhArgs(include, quick, json, args));
        getLog().debug("Command: " + command);
        int exit;
        try {
            Process process = new ProcessBuilder(command)
                    .directory(session.getExecutionRootDirectory() == null ? null
                            : new File(session.getExecutionRootDirectory()))
                    .inheritIO()
                    .start();
            exit = process.waitFor();
        } catch (IOException e) {
            throw new MojoExecutionException("Could not start " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("Interrupted while JMH was running", e);
        }
        if (exit != 0) {
            throw new MojoFailureException("JMH exited with status " + exit);
        }
    }

    /** The arguments given to {@code org.openjdk.jmh.Main}, in order: quick mode, JSON, extra, include. */
    static List<String> jmhArgs(String include, boolean quick, String json, String extra) {
        List<String> out = new ArrayList<>();
        if (quick) {
            out.addAll(QUICK_ARGS);
        }
        if (json != null && !json.isBlank()) {
            out.addAll(List.of("-rf", "json", "-rff", json.strip()));
        }
        out.addAll(split(extra));
        if (include != null && !include.isBlank()) {
            out.add(include.strip());
        }
        return out;
    }

    /** Splits on white space outside single or double quotes; the quotes themselves are dropped. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        if (s == null) {
            return out;
        }
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(word.toString());
        }
        return out;
    }

    private MavenProject findModule() throws MojoExecutionException {
        for (MavenProject p : session.getProjects()) {
            if (module.equals(p.getArtifactId())) {
                return p;
            }
        }
        throw new MojoExecutionException("No module with artifactId '" + module
                + "' in the reactor: run mvn jmh:run from the project's top directory");
    }

    private List<String> classpath(MavenProject bench) throws MojoExecutionException {
        Set<String> cp = new LinkedHashSet<>();
        cp.add(benchmarkClasses(bench));
        DefaultDependencyResolutionRequest request =
                new DefaultDependencyResolutionRequest(bench, session.getRepositorySession());
        request.setResolutionFilter((node, parents) -> {
            Dependency d = node.getDependency();
            if (d == null) {
                return true;
            }
            String scope = d.getScope();
            return scope == null || scope.isEmpty() || scope.equals("compile") || scope.equals("runtime");
        });
        DependencyResolutionResult result;
        try {
            result = resolver.resolve(request);
        } catch (DependencyResolutionException e) {
            throw new MojoExecutionException("Could not resolve the dependencies of " + bench.getArtifactId()
                    + "; build and install the project first: mvn install -DskipTests", e);
        }
        for (Dependency d : result.getDependencies()) {
            File f = d.getArtifact().getFile();
            if (f != null) {
                cp.add(f.getAbsolutePath());
            }
        }
        return new ArrayList<>(cp);
    }

    private String benchmarkClasses(MavenProject bench) throws MojoExecutionException {
        Path classes = Path.of(bench.getBuild().getOutputDirectory());
        if (Files.isRegularFile(classes.resolve("META-INF/BenchmarkList"))) {
            return classes.toString();
        }
        String rel = session.getRepositorySession().getLocalRepositoryManager().getPathForLocalArtifact(
                new DefaultArtifact(bench.getGroupId(), bench.getArtifactId(), "jar", bench.getVersion()));
        File jar = new File(session.getRepositorySession().getLocalRepository().getBasedir(), rel);
        if (jar.isFile()) {
            return jar.getAbsolutePath();
        }
        throw new MojoExecutionException("Benchmarks are not built (no " + classes.resolve("META-INF/BenchmarkList")
                + " and no " + jar + "): run mvn install -DskipTests first");
    }
}
