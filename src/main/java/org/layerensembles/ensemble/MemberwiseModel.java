package org.layerensembles.ensemble;

import java.util.List;

/**
 * A model made of independently trained members, such as a deep ensemble (METHOD.md section 7):
 * its {@link #heads} are the members' outputs, but each member learns on its own.
 *
 * <p>When {@code Trainer.train} (org.layerensembles.training) is given a model that implements this interface it does not train
 * the whole model at once. It trains the members in turn, each exactly as a model of its own:
 * its own optimizer (fresh state), its own shuffling seed (derived from the run's seed and the
 * member's index, see {@code Trainer.memberSeed}), its own early stopping and its own output
 * subfolder {@code member-<i>} with {@code best.safetensors}, {@code last.safetensors} and
 * {@code metrics.csv}. Afterwards, with the best member weights restored, the whole model is
 * validated once and written to the run folder's {@code best.safetensors}. The head weights of
 * the configuration apply within each member.
 *
 * <p>The members' modules must be parts of {@link #module()} (so the whole model's state holds
 * every member's weights) and must not share parameters.
 */
public interface MemberwiseModel extends SegmentationModel {
    /** The members, in a fixed order: member i trains into subfolder {@code member-i}. */
    List<SegmentationModel> members();
}
