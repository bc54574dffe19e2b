package org.layerensembles.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the kernel files declare, for tests that run without a GPU: kernel names from the .cu
 * sources, and each kernel's parameter types from the PTX that the build compiled (when nvcc was
 * there), e.g. {@code [u64, u64, f32, u32]}.
 */
final class KernelSources {
    static final Path SOURCES = Path.of("src/main/cuda");
    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\([^)]*\\)\\s*)?(\\w+)\\s*\\(");
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    private KernelSources() {
    }

    /** The text of {@code module}.cu, or of the named file when the name has an extension. */
    static String source(String module) {
        try {
            return Files.readString(SOURCES.resolve(module.contains(".") ? module : module + ".cu"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names of the {@code extern "C" __global__} kernels of a .cu file. */
    static List<String> kernelNames(String module) {
        List<String> names = new ArrayList<>();
        Matcher m = KERNEL.matcher(source(module));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Parameter types per kernel of a module's PTX, or null when the build made no PTX (no nvcc). */
    static Map<String, List<String>> ptxSignatures(String module) {
        try (InputStream in = KernelSources.class.getResourceAsStream("/cuda/" + module + ".ptx")) {
            if (in == null) {
                return null;
            }
            String ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<String, List<String>> out = new HashMap<>();
            Matcher m = ENTRY.matcher(ptx);
            while (m.find()) {
                List<String> types = new ArrayList<>();
                Matcher p = PARAM.matcher(m.group(2));
                while (p.find()) {
                    types.add(p.group(1));
                }
                out.put(m.group(1), types);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The integer value of {@code #define NAME value} in a .cu file. */
    static int define(String module, String name) {
        Matcher m = Pattern.compile("#define\\s+" + name + "\\s+(\\S.*)").matcher(source(module));
        if (!m.find()) {
            throw new AssertionError(module + ".cu has no #define " + name);
        }
        return Integer.parseInt(m.group(1).trim());
    }

    /** The constants of {@code enum name { A, B, ... }} in a .cu file, in order. */
    static List<String> enumConstants(String module, String name) {
        Matcher m = Pattern.compile("enum\\s+" + name + "\\s*\\{([^}]*)\\}").matcher(source(module));
        if (!m.find()) {
            throw new AssertionError(module + ".cu has no enum " + name);
        }
        List<String> out = new ArrayList<>();
        for (String s : m.group(1).split(",")) {
            out.add(s.trim());
        }
        return out;
    }
}
