//! [`Gradients`] and the backward sweep that computes them.

use std::ops::Index;

use crate::registry;
use crate::var::CONSTANT;
use crate::storage::{FIRST, NODE, Storage};
use crate::tape::Tape;
use crate::var::Var;

/// The gradient of one output with respect to every Var of its tape, from
/// [`Tape::backward`].
///
/// Read it with `grads[x]` or [`grads.wrt(x)`](Gradients::wrt). The gradient with respect
/// to a constant, or to a Var recorded after the output, is `0.0`.
///
/// `Gradients` borrows its tape, and hands its buffer back to the tape when dropped, so
/// that the next `backward` allocates nothing; like the tape, it stays on its thread.
/// To keep numbers past the next [`Tape::clear`] or send them elsewhere, copy them out
/// with [`wrt_all`](Gradients::wrt_all).
///
/// # Panics
///
/// Reading the gradient with respect to a Var of another tape panics.
#[derive(Debug)]
pub struct Gradients<'t> {
    /// `∂y/∂node` for every node up to `y`, indexed by node.
    adjoints: Vec<f64>,
    generation: u32,
    tape: &'t Tape,
}

impl<'t> Gradients<'t> {
    /// `∂y/∂x`, the same as `grads[x]`.
    #[inline]
    pub fn wrt(&self, x: Var<'t>) -> f64 {
        self[x]
    }

    /// `∂y/∂node` for a node of this tape's generation `generation`, or `None` for
    /// another generation.
    pub(crate) fn of_node(&self, generation: u32, node: u32) -> Option<f64> {
        (generation == self.generation)
            .then(|| self.adjoints.get(node as usize).copied().unwrap_or(0.0))
    }

    /// `∂y/∂x` for the Vars `first` and the `out.len() - 1` recorded right after it, as
    /// [`Tape::vars`] makes them, into `out`: one copy instead of one lookup per Var.
    pub(crate) fn wrt_consecutive(&self, first: Var<'t>, out: &mut [f64]) {
        if first.generation != self.generation {
            registry::mixed_tapes(first.generation, self.generation);
        }
        let start = (first.index as usize).min(self.adjoints.len());
        let known = &self.adjoints[start..];
        let n = known.len().min(out.len());
        out[..n].copy_from_slice(&known[..n]);
        out[n..].fill(0.0);
    }

    /// `∂y/∂x` for each `x` in `xs`, in order.
    pub fn wrt_all(&self, xs: &[Var<'t>]) -> Vec<f64> {
        xs.iter().map(|&x| self[x]).collect()
    }
}

impl<'t> Index<Var<'t>> for Gradients<'t> {
    type Output = f64;

    /// `∂y/∂x`.
    #[inline]
    fn index(&self, x: Var<'t>) -> &f64 {
        if x.generation != self.generation {
            if x.generation == CONSTANT {
                return &0.0;
            }
            registry::mixed_tapes(x.generation, self.generation);
        }
        self.adjoints.get(x.index as usize).unwrap_or(&0.0)
    }
}

impl Drop for Gradients<'_> {
    fn drop(&mut self) {
        self.tape.recycle(std::mem::take(&mut self.adjoints));
    }
}

/// Runs the backward sweep from `y` over `storage`, the storage of `tape`.
pub(crate) fn backward<'t>(tape: &'t Tape, storage: &mut Storage, y: Var<'t>) -> Gradients<'t> {
    let mut adjoints = std::mem::take(&mut storage.spare_adjoints);
    adjoints.clear();
    if y.generation == CONSTANT {
        return Gradients {
            adjoints,
            generation: storage.generation,
            tape,
        };
    }
    if y.generation != storage.generation {
        registry::mixed_tapes(y.generation, storage.generation);
    }
    adjoints.resize(y.index as usize + 1, 0.0);
    adjoints[y.index as usize] = 1.0;
    let end = storage.end_of(y.index);
    sweep(
        &storage.edges.operands()[..end],
        &storage.edges.partials()[..end],
        y.index,
        &mut adjoints,
    );
    Gradients {
        adjoints,
        generation: storage.generation,
        tape,
    }
}

/// The chain rule, once per edge, from the last node to the first:
/// `adjoint[operand] += ∂node/∂operand * adjoint[node]`.
///
/// A node whose adjoint is zero — one the output does not depend on — passes nothing
/// back, so that an infinite or NaN partial of an unused value (`sqrt` at 0, say) cannot
/// turn `0 * inf` into a NaN gradient. Adept and CoDiPack skip such nodes the same way.
///
/// `operands` and `partials` end with the last edge of node `last`; entry 0 is the sink's
/// edge, which carries nothing and is skipped.
fn sweep(operands: &[u32], partials: &[f64], last: u32, adjoints: &mut [f64]) {
    let mut node = last as usize;
    for (&operand, &partial) in operands[1..].iter().zip(&partials[1..]).rev() {
        let adjoint = adjoints[node];
        if adjoint != 0.0 {
            adjoints[(operand & NODE) as usize] += partial * adjoint;
        }
        // The first edge of a node: the edges before it belong to the node before.
        node -= (operand / FIRST) as usize;
    }
}
