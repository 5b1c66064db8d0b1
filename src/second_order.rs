//! Hessian-vector products on a second-order tape: forward over reverse.
//!
//! The directional derivative of the gradient, `H v = d/dε ∇f(x + ε v)` at `ε = 0`, is
//! computed in two sweeps over one recording:
//!
//! 1. *forward*, the tangent of every node along `v`:
//!    `tangent[node] = Σ ∂node/∂operand · tangent[operand]`;
//! 2. *reverse*, the adjoint `ā = ∂y/∂node` as in the first-order sweep together with its
//!    tangent `ȧ = d ā / dε`, which by the product rule receives from each node
//!    `∂node/∂operand · ȧ[node]` through every edge and
//!    `∂²node/∂operand∂b · ā[node] · tangent[b]` through every [`Curvature`] term.
//!
//! `ā` at the inputs is the gradient and `ȧ` is `H v`. The Hessian is `n` such products
//! of one recording, one per unit vector.
//!
//! [`Curvature`]: crate::storage::Curvature

use crate::modes;
use crate::storage::Storage;

/// Buffers of the two sweeps, reused from one product to the next.
#[derive(Debug, Default)]
pub(crate) struct Sweeps {
    tangents: Vec<f64>,
    adjoints: Vec<f64>,
    adjoint_tangents: Vec<f64>,
}

impl Sweeps {
    /// The bytes of the buffers, reused from sweep to sweep.
    pub(crate) fn held_bytes(&self) -> usize {
        (self.tangents.capacity() + self.adjoints.capacity() + self.adjoint_tangents.capacity())
            * size_of::<f64>()
    }

    /// The bytes of the buffers in use by the last sweep.
    pub(crate) fn used_bytes(&self) -> usize {
        (self.tangents.len() + self.adjoints.len() + self.adjoint_tangents.len()) * size_of::<f64>()
    }

    /// Sets the tangents of `inputs` to `direction` and runs both sweeps from node `y`.
    pub(crate) fn run(
        &mut self,
        storage: &Storage,
        y: u32,
        inputs: impl Iterator<Item = (u32, f64)>,
    ) {
        let nodes = y as usize + 1;
        for buffer in [
            &mut self.tangents,
            &mut self.adjoints,
            &mut self.adjoint_tangents,
        ] {
            buffer.clear();
            buffer.resize(nodes, 0.0);
        }
        for (input, direction) in inputs {
            if (input as usize) < nodes {
                self.tangents[input as usize] = direction;
            }
        }

        // Forward: the tangent of each node along the direction.
        let tangents = &mut self.tangents;
        modes::tangent_sweep(storage, y, tangents.as_chunks_mut::<1>().0);

        // Reverse, with the curvature terms of each node applied when its turn comes.
        let (adjoints, adjoint_tangents) = (&mut self.adjoints, &mut self.adjoint_tangents);
        adjoints[y as usize] = 1.0;
        let curvature = storage
            .curvature
            .iter()
            .rev()
            .skip_while(|term| term.node > y);
        let mut curvature = curvature.peekable();
        let mut walk = storage.walk_back_from(y);
        let call = storage.walk_back(&mut walk, |edge| {
            let (adjoint, adjoint_tangent) = (adjoints[edge.node], adjoint_tangents[edge.node]);
            // The node's terms, applied at its first edge met (its last recorded); they
            // add to operands only, never to the node's own adjoints read above.
            while let Some(term) = curvature.next_if(|term| term.node as usize == edge.node) {
                let tangent = tangents[term.b as usize];
                if adjoint != 0.0 && tangent != 0.0 {
                    adjoint_tangents[term.a as usize] += term.value * adjoint * tangent;
                }
            }
            if adjoint != 0.0 {
                adjoints[edge.operand()] += edge.partial * adjoint;
            }
            if adjoint_tangent != 0.0 {
                adjoint_tangents[edge.operand()] += edge.partial * adjoint_tangent;
            }
        });
        assert!(
            call.is_none(),
            "tapegrad: a custom vector rule on a second-order tape (it panics when recorded)"
        );
    }

    /// `∂y/∂node` after [`run`](Self::run).
    pub(crate) fn adjoint(&self, node: u32) -> f64 {
        self.adjoints.get(node as usize).copied().unwrap_or(0.0)
    }

    /// `(H v)[node]` after [`run`](Self::run).
    pub(crate) fn adjoint_tangent(&self, node: u32) -> f64 {
        self.adjoint_tangents
            .get(node as usize)
            .copied()
            .unwrap_or(0.0)
    }
}
