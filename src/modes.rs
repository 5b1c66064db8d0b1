//! Sweeps of several directions at once: forward mode (tangents) and reverse mode
//! (adjoints) with `L` lanes per node, `[f64; L]`, so that one pass over the tape serves
//! `L` columns or rows of a Jacobian. With `L = 1` the tangent sweep is plain forward
//! mode, the one that [`jvp`](crate::jvp) and the Hessian's forward half run.
//!
//! | sweep                | direction | per edge `node ← operand`                   | custom vector rules        |
//! |----------------------|-----------|---------------------------------------------|----------------------------|
//! | [`tangent_sweep`]    | forward   | `tangent[node] += ∂node/∂operand · tangent[operand]` | panic: they have no JVP |
//! | [`adjoint_sweep`]    | reverse   | `adjoint[operand] += ∂node/∂operand · adjoint[node]` | their VJP, once per lane |
//!
//! Both skip a lane whose source is exactly 0, as the scalar backward sweep does, so an
//! infinite partial of a node that no direction moves adds nothing instead of NaN; the
//! results equal those of `L` scalar sweeps (up to the sign of a zero).

use crate::gradients::{call_vjp, walk_back_with_calls};
use crate::registry::Slot;
use crate::storage::{CustomCall, Storage};

/// `target += partial · source`, lane by lane, skipping the lanes where `source` is 0.
#[inline(always)]
fn add_lanes<const L: usize>(target: &mut [f64; L], partial: f64, source: &[f64; L]) {
    if source.iter().all(|&s| s == 0.0) {
        return;
    }
    for (t, &s) in target.iter_mut().zip(source) {
        *t += if s != 0.0 { partial * s } else { 0.0 };
    }
}

/// The tangents of every node up to `last`, from those of the inputs already in
/// `tangents` (indexed by node, at least `last + 1` long, zero elsewhere).
///
/// # Panics
///
/// If a custom vector rule ([`Var::custom_vjp`](crate::Var::custom_vjp)) was recorded
/// before `last`: it has a VJP only, no forward rule.
pub(crate) fn tangent_sweep<const L: usize>(
    storage: &Storage,
    last: u32,
    tangents: &mut [[f64; L]],
) {
    assert!(
        storage
            .calls
            .first()
            .is_none_or(|call| call.first_output > last),
        "tapegrad: a custom vector rule (Var::custom_vjp) has a reverse-mode rule only, and \
         forward mode (tapegrad::jvp) sweeps tangents forward through it. Use \
         tapegrad::vjp or tapegrad::jacobian, which sweep backwards, or write the rule \
         with Var::custom per output"
    );
    for edge in storage.edges_forward(last) {
        let tangent = tangents[edge.operand()];
        add_lanes(&mut tangents[edge.node], edge.partial, &tangent);
    }
}

/// The reverse sweep from node `last` with `L` adjoints per node, seeded in `adjoints`
/// (indexed by node, at least `last + 1` long): [`sweep`](crate::gradients) lane by lane,
/// running each custom vector rule's VJP once per lane whose outputs' adjoints are not
/// all 0, with no borrow of the storage held.
pub(crate) fn adjoint_sweep<const L: usize>(slot: &Slot, last: u32, adjoints: &mut [[f64; L]]) {
    walk_back_with_calls(
        slot,
        last,
        adjoints,
        |adjoints, _, edge| {
            let adjoint = adjoints[edge.node];
            add_lanes(&mut adjoints[edge.operand()], edge.partial, &adjoint);
        },
        |adjoints, call| run_custom_call_lanes(slot, call, adjoints),
    );
}

/// The VJP of `call`, once per lane.
#[cold]
#[inline(never)]
fn run_custom_call_lanes<const L: usize>(
    slot: &Slot,
    call: &CustomCall,
    adjoints: &mut [[f64; L]],
) {
    let first = call.first_output as usize;
    // Outputs recorded after the sweep's last node have no adjoint: 0.
    let known = first..(first + call.outputs as usize).min(adjoints.len());
    let mut output_adjoints = vec![0.0; call.outputs as usize];
    let mut input_adjoints = vec![0.0; call.inputs.len()];
    // `lane` picks one number of each node's `[f64; L]`, not an element of a slice.
    #[allow(clippy::needless_range_loop)]
    for lane in 0..L {
        for (out, node) in output_adjoints.iter_mut().zip(known.clone()) {
            *out = adjoints[node][lane];
        }
        if output_adjoints.iter().all(|&adjoint| adjoint == 0.0) {
            continue;
        }
        input_adjoints.fill(0.0);
        call_vjp(slot, call, &output_adjoints, &mut input_adjoints);
        for (&input, &adjoint) in call.inputs.iter().zip(&input_adjoints) {
            adjoints[input as usize][lane] += adjoint;
        }
    }
}
