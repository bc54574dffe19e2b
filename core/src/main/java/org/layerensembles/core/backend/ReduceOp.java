package org.layerensembles.core.backend;

/** Reductions along axes. */
public enum ReduceOp {
    SUM, MEAN, MAX, MIN
}
