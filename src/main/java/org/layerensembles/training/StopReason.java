package org.layerensembles.training;

import org.layerensembles.ensemble.MemberwiseModel;

/** Why a training run ended (a diverging run throws {@link TrainingDivergedException} instead). */
public enum StopReason {
    /** The configured number of epochs ran. */
    MAX_EPOCHS,
    /** {@code patience} epochs passed without a better validation loss. */
    EARLY_STOPPING,
    /** A {@link MemberwiseModel}: every member finished (see each member's own reason). */
    MEMBERS_TRAINED
}
