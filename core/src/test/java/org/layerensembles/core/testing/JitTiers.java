package org.layerensembles.core.testing;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Checks that hot kernels reach the optimising compiler (C2, compile level 4) under the JVM's
 * default flags, by running each one until the code cache holds a level-4 version of its hot
 * method, within a deadline.
 *
 * <p>Why: CPU-KERNELS.md's tiered-compilation trap. A large Vector API kernel that C1 compiles
 * badly, or that got a low-tier version while the C2 queue was busy, can stay in a low tier and
 * run with boxed vectors 10-200x slower, with every result still correct, so no other test
 * notices. A kernel that keeps too much vector code in one method, or grows past the JIT's
 * inlining limits, shows the same symptom.
 *
 * <p>How: the code cache is read through the {@code Compiler.codelist} diagnostic command (the
 * platform's DiagnosticCommand MBean, available under default flags), whose lines are
 * {@code compile_id level state class.method(signature) [addresses]}, state 0 meaning in use.
 * A kernel is described by the name prefixes of its hot methods, e.g.
 * {@code "org.layerensembles.core.cpu.CpuGemm."} (any method of the class) or
 * {@code "org.layerensembles.core.cpu.SoftmaxKernels.softmaxRow("}; every prefix of a kernel must
 * have a method in use at level 4. Adding a kernel is one line:
 * {@code JitTiers.kernel("GEMM", () -> backend.matmul(a, b, false, false), "...CpuGemm.")}.
 */
public final class JitTiers {
    /** The optimising compiler's level. */
    public static final int C2 = 4;

    private JitTiers() {
    }

    /** A kernel family: what to call, and the name prefixes of the methods that must reach C2. */
    public record Kernel(String name, Runnable call, List<String> hotMethods) {
    }

    public static Kernel kernel(String name, Runnable call, String... hotMethodPrefixes) {
        return new Kernel(name, call, List.of(hotMethodPrefixes));
    }

    /**
     * Runs each kernel until all its hot methods are in use at level 4, for at most
     * {@code deadlineMillis} per kernel; returns a description of each kernel that did not get
     * there (with the levels its methods are at), empty when all did.
     */
    public static List<String> notAtC2(long deadlineMillis, Kernel... kernels) {
        List<String> failures = new ArrayList<>();
        for (Kernel k : kernels) {
            long deadline = System.nanoTime() + deadlineMillis * 1_000_000L;
            List<String> missing = k.hotMethods();
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                long until = System.nanoTime() + 50_000_000L; // call for 50 ms, then look again
                do {
                    k.call().run();
                } while (System.nanoTime() < until);
                missing = missing(k.hotMethods(), codeList());
            }
            if (!missing.isEmpty()) {
                failures.add(k.name() + ": no method in use at level " + C2 + " for " + missing + " after "
                        + deadlineMillis + " ms; levels in use: " + levels(k.hotMethods(), codeList()));
            }
        }
        return failures;
    }

    private static List<String> missing(List<String> prefixes, List<String[]> code) {
        List<String> out = new ArrayList<>();
        for (String prefix : prefixes) {
            boolean found = false;
            for (String[] entry : code) {
                found |= entry[3].startsWith(prefix) && entry[1].equals(String.valueOf(C2)) && entry[2].equals("0");
            }
            if (!found) {
                out.add(prefix);
            }
        }
        return out;
    }

    /** method -> the levels at which it is in use, for the failure message. */
    private static Map<String, List<String>> levels(List<String> prefixes, List<String[]> code) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String[] entry : code) {
            for (String prefix : prefixes) {
                if (entry[3].startsWith(prefix) && entry[2].equals("0")) {
                    String method = entry[3].substring(0, Math.max(entry[3].indexOf('('), 0));
                    out.computeIfAbsent(method, m -> new ArrayList<>()).add(entry[1]);
                }
            }
        }
        return out;
    }

    /** The code cache: {compile id, level, state, method with signature} per compiled method. */
    static List<String[]> codeList() {
        String text;
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            text = (String) server.invoke(name, "compilerCodelist", new Object[] {null},
                    new String[] {String[].class.getName()});
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the code cache (Compiler.codelist)", e);
        }
        List<String[]> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] parts = line.trim().split(" ", 5);
            if (parts.length >= 4 && !parts[0].isEmpty() && Character.isDigit(parts[0].charAt(0))) {
                out.add(new String[] {parts[0], parts[1], parts[2], parts[3]});
            }
        }
        return out;
    }
}
