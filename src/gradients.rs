//! [`Gradients`] and the backward sweep that computes them.

use std::cell::RefCell;
use std::ops::Index;

use crate::numerics::{NumericsError, SkippedPartial};
use crate::registry::Slot;
use crate::storage::{CustomCall, Edge, Storage};
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

/// Runs the backward sweep from the `seeds` — each an output and its adjoint, added up
/// where an output appears twice — over the storage of `slot`; `None` if the tape checks
/// numerics, which [`backward_checked`] does.
pub(crate) fn backward<'t>(
    slot: &'t Slot,
    seeds: impl Iterator<Item = (Var<'t>, f64)> + Clone,
) -> Option<Gradients<'t>> {
    let (mut adjoints, last, generation) = slot.with(|storage| {
        (!storage.check_numerics).then(|| {
            let (adjoints, last) = seeded_adjoints(storage, seeds);
            (adjoints, last, storage.generation)
        })
    })?;
    if let Some(last) = last {
        sweep(slot, last, &mut adjoints, |_, _, _| {}, |_| {});
    }
    Some(Gradients {
        adjoints,
        generation,
        slot,
    })
}

/// [`backward`], also collecting every edge that the sweep skipped although its partial
/// was infinite or NaN, in a node that a seeded output depends on. Kept out of line, so
/// that the unchecked sweep compiles alone.
#[inline(never)]
pub(crate) fn backward_checked<'t>(
    slot: &'t Slot,
    seeds: impl Iterator<Item = (Var<'t>, f64)> + Clone,
) -> (Gradients<'t>, Option<NumericsError>) {
    let (mut adjoints, last, generation) = slot.with(|storage| {
        let (adjoints, last) = seeded_adjoints(storage, seeds.clone());
        (adjoints, last, storage.generation)
    });
    let mut skipped = Vec::new();
    if let Some(last) = last {
        // The nodes that the outputs depend on through the graph, whatever the partials:
        // a zero adjoint elsewhere only means that no output uses the node.
        let reached = RefCell::new(vec![false; last as usize + 1]);
        for (y, _) in seeds {
            if let Some(y) = y.node_on(generation) {
                reached.borrow_mut()[y as usize] = true;
            }
        }
        sweep(
            slot,
            last,
            &mut adjoints,
            |storage, edge, adjoint| {
                let mut reached = reached.borrow_mut();
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
            },
            |call| {
                let mut reached = reached.borrow_mut();
                let outputs =
                    call.first_output as usize..(call.first_output + call.outputs) as usize;
                if outputs.clone().any(|node| reached.get(node) == Some(&true)) {
                    for &input in &call.inputs {
                        reached[input as usize] = true;
                    }
                }
            },
        );
    }
    let gradients = Gradients {
        adjoints,
        generation,
        slot,
    };
    let error = (!skipped.is_empty()).then_some(NumericsError { skipped });
    (gradients, error)
}

/// The adjoints before the sweep from the `seeds`, and the last seeded node (`None` if
/// every seeded output is a constant): 0 for every node up to it, the sum of its seeds
/// for each output, in the buffer that the last dropped [`Gradients`] handed back.
///
/// # Panics
///
/// If an output belongs to another tape.
fn seeded_adjoints<'t>(
    storage: &mut Storage,
    seeds: impl Iterator<Item = (Var<'t>, f64)> + Clone,
) -> (Vec<f64>, Option<u32>) {
    let mut adjoints = std::mem::take(&mut storage.spare_adjoints);
    adjoints.clear();
    let generation = storage.generation;
    let last = seeds
        .clone()
        .filter_map(|(y, _)| y.node_on(generation))
        .max();
    if let Some(last) = last {
        adjoints.resize(last as usize + 1, 0.0);
        for (y, seed) in seeds {
            if let Some(y) = y.node_on(generation) {
                adjoints[y as usize] += seed;
            }
        }
    }
    (adjoints, last)
}

/// The chain rule from node `last` back to the first node:
/// `adjoint[operand] += ∂node/∂operand * adjoint[node]` for every edge, and for every
/// custom vector rule its vector-Jacobian product, from the outputs' adjoints to the
/// inputs'.
///
/// A node whose adjoint is exactly zero passes nothing back, so an infinite or NaN
/// partial of such a node does not turn the gradient into NaN through `0 · inf`; Adept
/// and CoDiPack skip such nodes too. That is right for a value the output does not
/// depend on (`x.sqrt()` at 0, never used), and wrong where the chain rule itself makes
/// the adjoint zero: `d/dx (√x)²` at 0 gives 0, not 1 (IEEE arithmetic, as in PyTorch,
/// gives NaN). `inspect` sees every edge with its node's adjoint, and `through` every
/// custom rule met, for the checked sweep; the unchecked sweep passes closures that do
/// nothing, which the compiler removes.
///
/// The storage is borrowed only while edges are walked: a custom rule's callback runs
/// with no borrow held, so whatever it does cannot reach the storage being read.
#[inline(always)]
fn sweep(
    slot: &Slot,
    last: u32,
    adjoints: &mut [f64],
    mut inspect: impl FnMut(&Storage, Edge, f64),
    mut through: impl FnMut(&CustomCall),
) {
    walk_back_with_calls(
        slot,
        last,
        adjoints,
        |adjoints, storage, edge| {
            let adjoint = adjoints[edge.node];
            inspect(storage, edge, adjoint);
            if adjoint != 0.0 {
                adjoints[edge.operand()] += edge.partial * adjoint;
            }
        },
        |adjoints, call| {
            through(call);
            run_custom_call(slot, call, adjoints);
        },
    );
}

/// The reverse walk of every sweep from node `last`, with its custom vector rules:
/// `on_edge` for each edge, with the storage borrowed, and `on_call` for each rule once
/// every edge after it is done, with no borrow held, so that a rule's callback cannot
/// reach the storage being read. `state` (the adjoints) goes to both.
#[inline(always)]
pub(crate) fn walk_back_with_calls<T: ?Sized>(
    slot: &Slot,
    last: u32,
    state: &mut T,
    mut on_edge: impl FnMut(&mut T, &Storage, Edge),
    mut on_call: impl FnMut(&mut T, &CustomCall),
) {
    let mut walk = None;
    loop {
        let reached = slot.with(|storage| {
            let walk = walk.get_or_insert_with(|| storage.walk_back_from(last));
            storage
                .walk_back(walk, |edge| on_edge(state, storage, edge))
                .map(|call| storage.calls[call].clone())
        });
        let Some(call) = reached else {
            return;
        };
        on_call(state, &call);
    }
}

/// Runs the vector-Jacobian product of `call`, from its outputs' adjoints to its
/// inputs', unless the outputs' adjoints are all zero.
///
/// # Panics
///
/// If the callback records on the tape being swept.
#[cold]
#[inline(never)]
fn run_custom_call(slot: &Slot, call: &CustomCall, adjoints: &mut [f64]) {
    // Outputs recorded after the sweep's last node have no adjoint: 0.
    let first = call.first_output as usize;
    let known = &adjoints[first..(first + call.outputs as usize).min(adjoints.len())];
    if known.iter().all(|&adjoint| adjoint == 0.0) {
        return;
    }
    let mut output_adjoints = known.to_vec();
    output_adjoints.resize(call.outputs as usize, 0.0);
    let mut input_adjoints = vec![0.0; call.inputs.len()];
    call_vjp(slot, call, &output_adjoints, &mut input_adjoints);
    for (&input, &adjoint) in call.inputs.iter().zip(&input_adjoints) {
        adjoints[input as usize] += adjoint;
    }
}

/// Calls the vector-Jacobian product of `call` with the outputs' adjoints, writing the
/// inputs' into `input_adjoints` (zeros), with no borrow of the storage held.
///
/// # Panics
///
/// If the callback records on the tape being swept.
pub(crate) fn call_vjp(
    slot: &Slot,
    call: &CustomCall,
    output_adjoints: &[f64],
    input_adjoints: &mut [f64],
) {
    let recorded = slot.with(|storage| storage.len());
    (call.vjp)(output_adjoints, input_adjoints);
    assert_eq!(
        slot.with(|storage| storage.len()),
        recorded,
        "tapegrad: the VJP callback of a custom rule recorded on the tape being swept. \
         The callback receives and returns plain f64 adjoints; compute them with f64 \
         arithmetic (or on a tape of its own), not with Vars of this tape"
    );
}
