//! [`Gradients`] and the backward sweep that computes them.

use std::ops::Index;

use crate::numerics::{NumericsError, SkippedPartial};
use crate::registry::Slot;
use crate::storage::{Edge, Storage};
use crate::var::Var;

/// The gradient of one output with respect to every Var of its tape, from
/// [`Tape::backward`](crate::Tape::backward).
///
/// Read it with `grads[x]` or [`grads.wrt(x)`](Gradients::wrt). The gradient with respect
/// to a constant, or to a Var recorded after the output, is `0.0`.
///
/// `Gradients` borrows its tape, and hands its buffer back to the tape when dropped, so
/// that the next `backward` allocates nothing; like the tape, it stays on its thread.
/// To keep numbers past the next [`Tape::clear`](crate::Tape::clear) or send them
/// elsewhere, copy them out with [`wrt_all`](Gradients::wrt_all).
///
/// # Panics
///
/// Reading the gradient with respect to a Var of another tape panics.
#[derive(Debug)]
pub struct Gradients<'t> {
    /// `∂y/∂node` for every node up to `y`, indexed by node.
    adjoints: Vec<f64>,
    generation: u32,
    /// The tape's slot, to hand the buffer back to.
    slot: &'t Slot,
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
    /// [`Tape::vars`](crate::Tape::vars) makes them, into `out`: one copy instead of one
    /// lookup per Var.
    pub(crate) fn wrt_consecutive(&self, first: Var<'t>, out: &mut [f64]) {
        let Some(first) = first.node_on(self.generation) else {
            return out.fill(0.0);
        };
        let start = (first as usize).min(self.adjoints.len());
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
        match x.node_on(self.generation) {
            Some(node) => self.adjoints.get(node as usize).unwrap_or(&0.0),
            None => &0.0,
        }
    }
}

impl Drop for Gradients<'_> {
    fn drop(&mut self) {
        let adjoints = std::mem::take(&mut self.adjoints);
        self.slot.with(|storage| {
            if adjoints.capacity() > storage.spare_adjoints.capacity() {
                storage.spare_adjoints = adjoints;
            }
        });
    }
}

/// Runs the backward sweep from `y` over `storage`, the storage of `slot`.
pub(crate) fn backward<'t>(slot: &'t Slot, storage: &mut Storage, y: Var<'t>) -> Gradients<'t> {
    let mut adjoints = seeded_adjoints(storage, y);
    if let Some(y) = y.node_on(storage.generation) {
        sweep(storage, y, &mut adjoints, |_, _| {});
    }
    Gradients {
        adjoints,
        generation: storage.generation,
        slot,
    }
}

/// [`backward`], also collecting every edge that the sweep skipped although its partial
/// was infinite or NaN, in a node that `y` depends on. Kept out of line, so that the
/// unchecked sweep compiles alone.
#[inline(never)]
pub(crate) fn backward_checked<'t>(
    slot: &'t Slot,
    storage: &mut Storage,
    y: Var<'t>,
) -> (Gradients<'t>, Option<NumericsError>) {
    let mut adjoints = seeded_adjoints(storage, y);
    let mut skipped = Vec::new();
    if let Some(y) = y.node_on(storage.generation) {
        // The nodes that y depends on through the graph, whatever the partials: a zero
        // adjoint elsewhere only means that y does not use the node.
        let mut reached = vec![false; y as usize + 1];
        reached[y as usize] = true;
        sweep(storage, y, &mut adjoints, |edge, adjoint| {
            if reached[edge.node] {
                reached[edge.operand()] = true;
                if adjoint == 0.0 && !edge.partial.is_finite() {
                    skipped.push(SkippedPartial {
                        node: edge.node,
                        operation: storage.operation(edge.node),
                        operand: edge.operand(),
                        partial: edge.partial,
                    });
                }
            }
        });
    }
    let gradients = Gradients {
        adjoints,
        generation: storage.generation,
        slot,
    };
    let error = (!skipped.is_empty()).then_some(NumericsError { skipped });
    (gradients, error)
}

/// The adjoints before the sweep from `y`: 0 for every node up to `y`, 1 for `y` (none
/// for a constant `y`), in the buffer that the last dropped [`Gradients`] handed back.
fn seeded_adjoints(storage: &mut Storage, y: Var<'_>) -> Vec<f64> {
    let mut adjoints = std::mem::take(&mut storage.spare_adjoints);
    adjoints.clear();
    if let Some(y) = y.node_on(storage.generation) {
        adjoints.resize(y as usize + 1, 0.0);
        adjoints[y as usize] = 1.0;
    }
    adjoints
}

/// The chain rule, once per edge, from the last node to the first:
/// `adjoint[operand] += ∂node/∂operand * adjoint[node]`.
///
/// A node whose adjoint is exactly zero passes nothing back, so an infinite or NaN
/// partial of such a node does not turn the gradient into NaN through `0 · inf`; Adept
/// and CoDiPack skip such nodes too. That is right for a value the output does not
/// depend on (`x.sqrt()` at 0, never used), and wrong where the chain rule itself makes
/// the adjoint zero: `d/dx (√x)²` at 0 gives 0, not 1 (IEEE arithmetic, as in PyTorch,
/// gives NaN). `inspect` sees every edge with its node's adjoint, for the checked sweep
/// to report such places; the unchecked sweep passes a closure that does nothing, which
/// the compiler removes.
#[inline(always)]
fn sweep(storage: &Storage, last: u32, adjoints: &mut [f64], mut inspect: impl FnMut(Edge, f64)) {
    storage.walk_back(last, |edge| {
        let adjoint = adjoints[edge.node];
        inspect(edge, adjoint);
        if adjoint != 0.0 {
            adjoints[edge.operand()] += edge.partial * adjoint;
        }
    });
}
