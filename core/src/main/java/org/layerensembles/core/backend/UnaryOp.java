package org.layerensembles.core.backend;

/** Elementwise functions of one float32 array. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, RELU, SIGMOID, TANH
}
