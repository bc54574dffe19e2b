/**
 * The differentiable {@code Tensor}, its op families with their backward rules, and {@code nn}.
 * Filled by the autograd and neural-network issues; empty for now.
 */
package org.layerensembles.autograd;
