package org.layerensembles.autograd;

/**
 * The record of one op in the graph: what made a tensor, from which inputs, and how to send a
 * gradient back. Freed (its rule dropped) after a backward pass unless the graph is retained.
 */
final class Node {
    final String op;
    final Tensor[] inputs;
    private BackwardRule rule;

    Node(String op, Tensor[] inputs, BackwardRule rule) {
        this.op = op;
        this.inputs = inputs;
        this.rule = rule;
    }

    BackwardRule rule() {
        if (rule == null) {
            throw new IllegalStateException("backward through the graph of '" + op
                    + "' a second time: its saved arrays were freed after the first backward; "
                    + "pass retainGraph = true to the first backward if you need two");
        }
        return rule;
    }

    void free() {
        rule = null;
    }
}
