package org.layerensembles.ensemble;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.autograd.nn.Module;
import org.layerensembles.core.SeededRandom;

/**
 * The deep-ensemble baseline (DE, METHOD.md §7): M independently initialised networks (default 5),
 * trained on the same data, combined as in §4 with the members as the "heads" (no skipping).
 *
 * <pre>{@code
 * DeepEnsemble de = new DeepEnsemble(r -> new Plain(new UNet(..., r), 2), 5, new SeededRandom(1));
 * }</pre>
 *
 * <p>Member i is built by the factory from {@code rng.fork(i)}: the factory must draw every initial
 * weight of the member from the generator it is given (that is what makes the members differ
 * and the ensemble reproducible). Members must have the same number of classes and must not
 * share parameters.
 *
 * <p>{@link #heads} runs every member on the images and returns each member's last head (its
 * deepest, for a member that has several), named {@code member0}, {@code member1}, ...
 * {@link #module()} holds the members' modules as children {@code member0}, ... so a state dict
 * or {@code eval()} covers the whole ensemble. <b>Training</b> a deep ensemble means training each
 * member in turn, on its own, with its own optimizer (the members are independent networks; a sum
 * of their losses would train them together but with a shared batch order and schedule, which
 * is not the baseline): the training helper takes {@link #members()} one by one.
 */
public final class DeepEnsemble implements MemberwiseModel {
    /** The number of members when none is given. */
    public static final int DEFAULT_MEMBERS = 5;
    private final List<SegmentationModel> members;
    private final EnsembleModule root;
    private final int classes;

    /** {@link #DEFAULT_MEMBERS} members from the factory, member i from {@code rng.fork(i)}. */
    public DeepEnsemble(Function<SeededRandom, ? extends SegmentationModel> factory, SeededRandom rng) {
        this(factory, DEFAULT_MEMBERS, rng);
    }

    /**
     * @param factory builds one member from the generator it is given
     * @param members M >= 1
     * @param rng     member i is built from {@code rng.fork(i)}
     */
    public DeepEnsemble(Function<SeededRandom, ? extends SegmentationModel> factory, int members, SeededRandom rng) {
        this(build(factory, members, rng));
    }

    /** An ensemble of members already built (e.g. loaded from checkpoints), in this order. */
    public DeepEnsemble(List<? extends SegmentationModel> members) {
        Objects.requireNonNull(members, "DeepEnsemble: member list is null");
        if (members.isEmpty()) {
            throw new IllegalArgumentException("DeepEnsemble: needs at least one member");
        }
        this.members = List.copyOf(members);
        this.classes = this.members.get(0).classes();
        EnsembleModule tree = new EnsembleModule("DeepEnsemble");
        Map<Tensor, Integer> owners = new IdentityHashMap<>();
        for (int i = 0; i < this.members.size(); i++) {
            SegmentationModel m = this.members.get(i);
            if (m.classes() != classes) {
                throw new IllegalArgumentException("DeepEnsemble: member" + i + " has " + m.classes()
                        + " classes, member0 has " + classes);
            }
            for (Map.Entry<String, Tensor> p : m.module().namedParameters().entrySet()) {
                Integer other = owners.putIfAbsent(p.getValue(), i);
                if (other != null && other != i) {
                    throw new IllegalArgumentException("DeepEnsemble: member" + i + "'s parameter '" + p.getKey()
                            + "' is also member" + other + "'s: members must be independent networks (build each "
                            + "one anew in the factory)");
                }
            }
            tree.add("member" + i, m.module());
        }
        this.root = tree;
    }

    private static List<SegmentationModel> build(Function<SeededRandom, ? extends SegmentationModel> factory,
                                                 int count, SeededRandom rng) {
        Objects.requireNonNull(factory, "DeepEnsemble: factory is null");
        Objects.requireNonNull(rng, "DeepEnsemble: random generator is null");
        if (count < 1) {
            throw new IllegalArgumentException("DeepEnsemble: the number of members must be >= 1, got " + count);
        }
        List<SegmentationModel> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SegmentationModel m = factory.apply(rng.fork(i));
            out.add(Objects.requireNonNull(m, "DeepEnsemble: the factory returned null for member" + i));
        }
        return out;
    }

    @Override
    public HeadOutputs heads(Tensor images) {
        List<HeadOutput> out = new ArrayList<>(members.size());
        for (int i = 0; i < members.size(); i++) {
            HeadOutputs h = members.get(i).heads(images);
            out.add(new HeadOutput("member" + i, h.logits(h.size() - 1)));
        }
        return new HeadOutputs(out);
    }

    @Override
    public Module module() {
        return root;
    }

    @Override
    public String method() {
        return "DE";
    }

    @Override
    public int classes() {
        return classes;
    }

    /** The members, in order: train each in turn. */
    public List<SegmentationModel> members() {
        return Collections.unmodifiableList(members);
    }

    public int size() {
        return members.size();
    }

    @Override
    public String toString() {
        return "DeepEnsemble(" + members.size() + " members of " + members.get(0) + ")";
    }
}
