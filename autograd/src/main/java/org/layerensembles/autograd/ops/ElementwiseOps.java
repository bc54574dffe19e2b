package org.layerensembles.autograd.ops;

import static org.layerensembles.core.backend.BinaryOp.ADD;
import static org.layerensembles.core.backend.BinaryOp.DIV;
import static org.layerensembles.core.backend.BinaryOp.EQ;
import static org.layerensembles.core.backend.BinaryOp.GE;
import static org.layerensembles.core.backend.BinaryOp.GT;
import static org.layerensembles.core.backend.BinaryOp.LE;
import static org.layerensembles.core.backend.BinaryOp.LT;
import static org.layerensembles.core.backend.BinaryOp.MUL;
import static org.layerensembles.core.backend.BinaryOp.POW;
import static org.layerensembles.core.backend.BinaryOp.SUB;

import java.util.Arrays;
import org.layerensembles.autograd.Autograd;
import org.layerensembles.autograd.Tensor;
import org.layerensembles.core.NDArray;
import org.layerensembles.core.NDArrays;
import org.layerensembles.core.backend.Backend;
import org.layerensembles.core.backend.BinaryOp;
import org.layerensembles.core.backend.UnaryOp;

/**
 * Differentiable elementwise ops, with NumPy broadcasting. Each op: its forward kernel call, then
 * its backward rule. A broadcast operand's gradient is summed back to its own shape.
 */
public final class ElementwiseOps {
    private ElementwiseOps() {
    }

    private static Backend cpu() {
        return Autograd.backend();
    }

    // ---- binary arithmetic

    /** a + b. */
    public static Tensor add(Tensor a, Tensor b) {
        NDArray y = cpu().binary(ADD, a.data(), b.data());
        return Tensor.fromOp("add", y, (g, needs) -> new NDArray[] {
            needs[0] ? sumTo(g, a) : null,
            needs[1] ? sumTo(g, b) : null}, a, b);
    }

    /** a - b. */
    public static Tensor sub(Tensor a, Tensor b) {
        NDArray y = cpu().binary(SUB, a.data(), b.data());
        return Tensor.fromOp("sub", y, (g, needs) -> new NDArray[] {
            needs[0] ? sumTo(g, a) : null,
            needs[1] ? sumTo(cpu().unary(UnaryOp.NEG, g), b) : null}, a, b);
    }

    /** a * b. */
    public static Tensor mul(Tensor a, Tensor b) {
        NDArray y = cpu().binary(MUL, a.data(), b.data());
        return Tensor.fromOp("mul", y, (g, needs) -> new NDArray[] {
            needs[0] ? sumTo(cpu().binary(MUL, g, b.data()), a) : null,
            needs[1] ? sumTo(cpu().binary(MUL, g, a.data()), b) : null}, a, b);
    }

    /** a / b: d/da = 1/b, d/db = -a/b^2 = -y/b. */
    public static Tensor div(Tensor a, Tensor b) {
        NDArray y = cpu().binary(DIV, a.data(), b.data());
        return Tensor.fromOp("div", y, (g, needs) -> new NDArray[] {
            needs[0] ? sumTo(cpu().binary(DIV, g, b.data()), a) : null,
            needs[1] ? sumTo(cpu().unary(UnaryOp.NEG, cpu().binary(MUL, g, cpu().binary(DIV, y, b.data()))), b) : null},
            a, b);
    }

    /**
     * a ^ b: d/da = b * a^(b-1), d/db = y * ln(a) (defined for a > 0). At a = 0 the limits are
     * taken as PyTorch does: d/da = 0 where b = 0 (a^0 is constant) and d/db = 0 where b >= 0
     * (instead of 0 * ln 0 = NaN).
     */
    public static Tensor pow(Tensor a, Tensor b) {
        NDArray y = cpu().binary(POW, a.data(), b.data());
        return Tensor.fromOp("pow", y, (g, needs) -> {
            NDArray zero = NDArrays.scalar(0f);
            NDArray ga = null;
            NDArray gb = null;
            if (needs[0]) {
                NDArray bMinusOne = cpu().binary(SUB, b.data(), NDArrays.scalar(1f));
                NDArray dy = cpu().binary(MUL, b.data(), cpu().binary(POW, a.data(), bMinusOne));
                dy = cpu().where(cpu().binary(EQ, b.data(), zero), zero, dy);
                ga = sumTo(cpu().binary(MUL, g, dy), a);
            }
            if (needs[1]) {
                NDArray dy = cpu().binary(MUL, y, cpu().unary(UnaryOp.LOG, a.data()));
                NDArray zeroBase = cpu().binary(MUL, cpu().binary(EQ, a.data(), zero), cpu().binary(GE, b.data(), zero));
                dy = cpu().where(zeroBase, zero, dy);
                gb = sumTo(cpu().binary(MUL, g, dy), b);
            }
            return new NDArray[] {ga, gb};
        }, a, b);
    }

    /** Elementwise maximum; on ties each side gets half the gradient (as PyTorch). */
    public static Tensor maximum(Tensor a, Tensor b) {
        return extremum("maximum", BinaryOp.MAX, GT, a, b);
    }

    /** Elementwise minimum; on ties each side gets half the gradient (as PyTorch). */
    public static Tensor minimum(Tensor a, Tensor b) {
        return extremum("minimum", BinaryOp.MIN, LT, a, b);
    }

    private static Tensor extremum(String name, BinaryOp op, BinaryOp wins, Tensor a, Tensor b) {
        NDArray y = cpu().binary(op, a.data(), b.data());
        return Tensor.fromOp(name, y, (g, needs) -> {
            NDArray half = NDArrays.scalar(0.5f);
            NDArray tie = cpu().binary(MUL, cpu().binary(EQ, a.data(), b.data()), half);
            NDArray aWins = cpu().binary(ADD, cpu().binary(wins, a.data(), b.data()), tie);
            NDArray bWins = cpu().binary(ADD, cpu().binary(wins, b.data(), a.data()), tie);
            return new NDArray[] {
                needs[0] ? sumTo(cpu().binary(MUL, g, aWins), a) : null,
                needs[1] ? sumTo(cpu().binary(MUL, g, bWins), b) : null};
        }, a, b);
    }

    // ---- with a constant

    /** x + c. */
    public static Tensor add(Tensor x, double c) {
        return add(x, Tensor.constant(NDArrays.scalar((float) c)));
    }

    /** x * c. */
    public static Tensor mul(Tensor x, double c) {
        return mul(x, Tensor.constant(NDArrays.scalar((float) c)));
    }

    /** x ^ p for a constant exponent. */
    public static Tensor pow(Tensor x, double p) {
        return pow(x, Tensor.constant(NDArrays.scalar((float) p)));
    }

    // ---- unary

    public static Tensor neg(Tensor x) {
        return unary("neg", UnaryOp.NEG, x);
    }

    public static Tensor exp(Tensor x) {
        return unary("exp", UnaryOp.EXP, x);
    }

    public static Tensor log(Tensor x) {
        return unary("log", UnaryOp.LOG, x);
    }

    public static Tensor sqrt(Tensor x) {
        return unary("sqrt", UnaryOp.SQRT, x);
    }

    /** |x|; gradient 0 at 0. */
    public static Tensor abs(Tensor x) {
        return unary("abs", UnaryOp.ABS, x);
    }

    /** max(x, 0); gradient 0 at 0. */
    public static Tensor relu(Tensor x) {
        return unary("relu", UnaryOp.RELU, x);
    }

    public static Tensor sigmoid(Tensor x) {
        return unary("sigmoid", UnaryOp.SIGMOID, x);
    }

    public static Tensor tanh(Tensor x) {
        return unary("tanh", UnaryOp.TANH, x);
    }

    /** y = op(x); the backend's unaryBackward knows each derivative (from x or from y). */
    private static Tensor unary(String name, UnaryOp op, Tensor x) {
        NDArray y = cpu().unary(op, x.data());
        return Tensor.fromOp(name, y, (g, needs) -> new NDArray[] {cpu().unaryBackward(op, x.data(), y, g)}, x);
    }

    /** min(max(x, min), max); gradient passes where min <= x <= max. */
    public static Tensor clamp(Tensor x, double min, double max) {
        NDArray y = cpu().clamp(x.data(), min, max);
        return Tensor.fromOp("clamp", y, (g, needs) -> new NDArray[] {cpu().clampBackward(x.data(), g, min, max)}, x);
    }

    /**
     * a where condition != 0, else b. The condition is not differentiated, so it is not an input
     * of the graph node (no gradient flows into whatever computed it).
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        NDArray c = condition.data();
        NDArray y = cpu().where(c, a.data(), b.data());
        return Tensor.fromOp("where", y, (g, needs) -> {
            NDArray zero = NDArrays.scalar(0f);
            return new NDArray[] {
                needs[0] ? sumTo(cpu().where(c, g, zero), a) : null,
                needs[1] ? sumTo(cpu().where(c, zero, g), b) : null};
        }, a, b);
    }

    // ---- comparisons: 1.0 where true, else 0.0; not differentiable

    public static Tensor gt(Tensor a, Tensor b) {
        return Tensor.constant(cpu().binary(GT, a.data(), b.data()));
    }

    public static Tensor ge(Tensor a, Tensor b) {
        return Tensor.constant(cpu().binary(GE, a.data(), b.data()));
    }

    public static Tensor lt(Tensor a, Tensor b) {
        return Tensor.constant(cpu().binary(LT, a.data(), b.data()));
    }

    public static Tensor le(Tensor a, Tensor b) {
        return Tensor.constant(cpu().binary(LE, a.data(), b.data()));
    }

    public static Tensor eq(Tensor a, Tensor b) {
        return Tensor.constant(cpu().binary(EQ, a.data(), b.data()));
    }

    /** A gradient of the broadcast shape summed back to an operand's shape. */
    static NDArray sumTo(NDArray g, Tensor operand) {
        int[] shape = operand.shape();
        return Arrays.equals(g.shape(), shape) ? g : cpu().sumTo(g, shape);
    }
}
