package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.layerensembles.autograd.GradMode;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.HookHandle;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.Shapes;
import org.layerensembles.core.memory.MemoryScope;

/**
 * The intermediate layers of a backbone whose outputs feed heads, and the forward-hook capture of
 * those outputs. Shared by {@link LayerEnsemble} and {@link MultiHead}.
 *
 * <p>Capture: each {@link #capture} call registers one hook per tapped module, runs the backbone's
 * forward, removes the hooks (also when the forward throws) and returns the tapped outputs in tap
 * order. The hooks are registered only for the length of the call, so the backbone can be run or
 * shared elsewhere without them; they record only on the calling thread, so several threads may
 * run one model at once in eval mode (training mode updates BatchNorm statistics and is not for
 * concurrent use). A captured output keeps its graph, so losses on the heads train the backbone.
 *
 * <p>Errors, all naming the layer: a tap that never ran in the pass (dead branch, data-dependent
 * control flow), a tap that ran more than once in one pass (a module instance called twice, e.g. one
 * ReLU object reused at several places: which of its outputs would be the head's input is
 * ambiguous, so it is rejected; tap a module that runs once, or give each place its own instance),
 * and a tap whose output is not 4-D [N, C, H, W].
 */
final class Taps {
    private final String owner;
    private final Module backbone;
    private final List<String> paths;
    private final List<Module> modules;
    private final int[] sizingShape;
    private final List<int[]> sizedShapes;

    private Taps(String owner, Module backbone, List<String> paths, int[] inputShape) {
        this.owner = owner;
        this.backbone = backbone;
        this.paths = List.copyOf(paths);
        List<Module> resolved = new ArrayList<>();
        Map<Module, String> seen = new IdentityHashMap<>();
        for (String path : paths) {
            Module m = backbone.get(path);
            String other = seen.putIfAbsent(m, path);
            if (other != null) {
                throw new IllegalArgumentException(owner + ": layers '" + other + "' and '" + path
                        + "' are the same module instance; tap each module once");
            }
            resolved.add(m);
        }
        this.modules = List.copyOf(resolved);
        this.sizingShape = checkInputShape(owner, inputShape);
        this.sizedShapes = runSizingPass();
    }

    /** Taps given by dotted path, in the given order. */
    static Taps named(String owner, Module backbone, List<String> layers, int[] inputShape) {
        Objects.requireNonNull(backbone, () -> owner + ": backbone is null");
        Objects.requireNonNull(layers, () -> owner + ": layer list is null");
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(owner + ": give at least one layer to tap; layers: " + known(backbone));
        }
        List<String> seen = new ArrayList<>();
        for (String path : layers) {
            Objects.requireNonNull(path, () -> owner + ": layer names must not be null");
            if (path.isEmpty()) {
                throw new IllegalArgumentException(owner + ": the backbone itself (path \"\") cannot be tapped: its "
                        + "output is the plain network's output (use Plain for that); layers: " + known(backbone));
            }
            if (seen.contains(path)) {
                throw new IllegalArgumentException(owner + ": layer '" + path + "' is listed twice");
            }
            if (!hasPath(backbone, path)) {
                throw new IllegalArgumentException(owner + ": no layer '" + path + "' in "
                        + backbone.getClass().getSimpleName() + "; layers: " + known(backbone));
            }
            seen.add(path);
        }
        return new Taps(owner, backbone, layers, inputShape);
    }

    /**
     * Taps chosen by a predicate on the dotted path, in the order of {@link Module#namedModules()}
     * (registration order, depth first, parents before children; a shared module once, under its
     * first path). The backbone itself ("") is never matched.
     */
    static Taps matching(String owner, Module backbone, Predicate<String> select, int[] inputShape) {
        Objects.requireNonNull(backbone, () -> owner + ": backbone is null");
        Objects.requireNonNull(select, () -> owner + ": layer predicate is null");
        List<String> chosen = new ArrayList<>();
        for (String path : backbone.namedModules().keySet()) {
            if (!path.isEmpty() && select.test(path)) {
                chosen.add(path);
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(owner + ": the layer predicate matches no layer of "
                    + backbone.getClass().getSimpleName() + "; layers: " + known(backbone));
        }
        return new Taps(owner, backbone, chosen, inputShape);
    }

    private static boolean hasPath(Module root, String path) {
        Module m = root;
        for (String name : path.split("\\.", -1)) {
            m = m.children().get(name);
            if (m == null) {
                return false;
            }
        }
        return true;
    }

    /** Every layer path of the backbone but the root, for error messages. */
    private static List<String> known(Module backbone) {
        List<String> out = new ArrayList<>(backbone.namedModules().keySet());
        out.remove("");
        return out;
    }

    /** Every path at which a module instance sits (a shared one has several), for error messages. */
    private List<String> allPathsOf(Module target) {
        List<String> out = new ArrayList<>();
        collectPaths("", backbone, target, out);
        return out;
    }

    private static void collectPaths(String prefix, Module m, Module target, List<String> out) {
        if (m == target && !prefix.isEmpty()) {
            out.add(prefix);
        }
        m.children().forEach((name, child) -> collectPaths(prefix.isEmpty() ? name : prefix + "." + name, child,
                target, out));
    }

    static int[] checkInputShape(String owner, int[] inputShape) {
        Objects.requireNonNull(inputShape, () -> owner + ": input shape is null");
        if (inputShape.length != 4 || Arrays.stream(inputShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException(owner + ": the sizing input shape must be [N, C, H, W] with every "
                    + "extent >= 1 (e.g. [1, 1, 64, 64]), got " + Shapes.str(inputShape));
        }
        return inputShape.clone();
    }

    /**
     * One forward of zeros of the sizing shape, without a graph, in a temporary memory scope, with
     * the backbone in eval mode (so BatchNorm's running statistics are not touched and a batch of
     * one is fine); each module's training flag is restored afterwards.
     */
    private List<int[]> runSizingPass() {
        Map<Module, Boolean> modes = new LinkedHashMap<>();
        backbone.namedModules().values().forEach(m -> modes.put(m, m.isTraining()));
        List<int[]> shapes = new ArrayList<>();
        try (MemoryScope ignored = MemoryScope.open(); GradMode.Scope noGrad = GradMode.noGrad()) {
            backbone.eval();
            for (Tensor t : capture(Tensor.constant(NDArrays.zeros(sizingShape)))) {
                shapes.add(t.shape());
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(owner + ": the sizing forward pass on " + Shapes.str(sizingShape)
                    + " failed: " + e.getMessage(), e);
        } finally {
            // namedModules lists parents before children, so each child's own flag wins.
            modes.forEach((m, on) -> m.train(on));
        }
        return List.copyOf(shapes);
    }

    /**
     * Runs the backbone on {@code images} and returns the tapped outputs in tap order (the
     * backbone's own output is discarded).
     *
     * @throws IllegalStateException naming the layer, when a tap did not run exactly once or its
     *                               output is not 4-D
     */
    List<Tensor> capture(Tensor images) {
        int n = modules.size();
        Tensor[] slots = new Tensor[n];
        Thread caller = Thread.currentThread();
        List<HookHandle> handles = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                int k = i;
                handles.add(modules.get(i).registerForwardHook((module, input, output) -> {
                    if (Thread.currentThread() != caller) {
                        return;
                    }
                    if (slots[k] != null) {
                        List<String> places = allPathsOf(module);
                        throw new IllegalStateException(owner + ": layer '" + paths.get(k) + "' ran more than once "
                                + "in one forward pass" + (places.size() > 1 ? " (the same instance sits at " + places
                                + ")" : " (the backbone calls it repeatedly)") + ", so its output is ambiguous; tap a "
                                + "module that runs once per pass");
                    }
                    if (output.rank() != 4) {
                        throw new IllegalStateException(owner + ": layer '" + paths.get(k) + "' outputs "
                                + Shapes.str(output.shape()) + ", but a head needs 4-D features [N, C, H, W]");
                    }
                    slots[k] = output;
                }));
            }
            backbone.forward(images);
        } finally {
            handles.forEach(HookHandle::remove);
        }
        List<String> silent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (slots[i] == null) {
                silent.add(paths.get(i));
            }
        }
        if (!silent.isEmpty()) {
            throw new IllegalStateException(owner + ": layer" + (silent.size() == 1 ? " " : "s ") + silent
                    + " did not run during the backbone's forward pass, so there are no features for "
                    + (silent.size() == 1 ? "its head" : "their heads"));
        }
        return Arrays.asList(slots);
    }

    List<String> paths() {
        return paths;
    }

    int size() {
        return paths.size();
    }

    /** The tap outputs' shapes in the sizing pass. */
    List<int[]> sizedShapes() {
        return sizedShapes.stream().map(int[]::clone).toList();
    }

    int[] sizingShape() {
        return sizingShape.clone();
    }

    /** Channels of tap i, from the sizing pass. */
    int channels(int i) {
        return sizedShapes.get(i)[1];
    }

    Module backbone() {
        return backbone;
    }

    /** Checks images [N, C, H, W] against the sizing shape's channel count. */
    void checkImages(Tensor images) {
        Objects.requireNonNull(images, () -> owner + ": images are null");
        if (images.rank() != 4 || images.size(1) != sizingShape[1]) {
            throw new IllegalArgumentException(owner + ": images must be [N, " + sizingShape[1] + ", H, W], got "
                    + Shapes.str(images.shape()));
        }
    }
}
