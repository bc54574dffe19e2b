package org.layerensembles.core.backend;

/**
 * Elementwise functions of two broadcast float32 arrays. The comparisons produce 1.0 where true
 * and 0.0 where false (float32), ready for masks and {@code where}.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAX, MIN, GT, GE, LT, LE, EQ
}
