//! What the checked mode reports: each infinite or NaN partial that met a zero adjoint,
//! and so was skipped (see [`Tape::backward_checked`](crate::Tape::backward_checked)), and
//! each comparison that found a Var exactly equal to 0 or to another Var (see
//! [`Tape::ties`](crate::Tape::ties)).

use std::fmt;

/// One edge that the backward sweep skipped although its partial was infinite or NaN:
/// the adjoint of its node was exactly zero, so the edge passed nothing back where IEEE
/// arithmetic would have passed `0 · inf = NaN`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkippedPartial {
    /// The node whose adjoint was zero: the result of the operation.
    pub node: usize,
    /// The operation that made `node`, where the tape recorded names (with
    /// [`Tape::check_numerics`](crate::Tape::check_numerics) or
    /// [`Tape::record_graph`](crate::Tape::record_graph) on when it ran).
    pub operation: Option<&'static str>,
    /// The operand the edge leads to.
    pub operand: usize,
    /// The infinite or NaN partial derivative `∂node/∂operand`.
    pub partial: f64,
}

impl fmt::Display for SkippedPartial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(operation) => write!(f, "node {} ({operation})", self.node)?,
            None => write!(f, "node {}", self.node)?,
        }
        write!(
            f,
            ": its partial {} with respect to node {} met an adjoint of 0",
            self.partial, self.operand
        )
    }
}

/// The edges that a backward sweep skipped although their partial was infinite or NaN,
/// from [`Tape::backward_checked`](crate::Tape::backward_checked), last node first.
///
/// The gradient tapegrad computes there treats `0 · inf` as 0: right when that is the
/// derivative's limit (`(√x - 1).relu()` at 0, whose derivative is 0), possibly wrong
/// otherwise. The report lists the places to check; it cannot tell which case it is. `d/dx (√x)²` at `x = 0` is 1, yet the adjoint of `√x` is `2√x
/// = 0` and its partial `1/(2√x)` is `+inf`: tapegrad gives 0, PyTorch and TensorFlow
/// give NaN. Each reported edge is such a place; the usual fix is to rewrite the
/// function there (`x` instead of `(√x)²`) or to keep its input away from the
/// singularity.
#[derive(Clone, Debug, PartialEq)]
pub struct NumericsError {
    /// Every skipped edge, last node first.
    pub skipped: Vec<SkippedPartial>,
}

impl fmt::Display for NumericsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 10;
        write!(
            f,
            "tapegrad: the backward sweep skipped {} infinite or NaN partial(s) whose node \
             had a zero adjoint; the gradient counts each as 0 where IEEE arithmetic gives \
             NaN (0 · inf). That is right where the derivative's limit is 0 and may be \
             wrong elsewhere (d/dx (√x)² at 0 is 1, not 0): check these places:",
            self.skipped.len()
        )?;
        for skipped in self.skipped.iter().take(SHOWN) {
            write!(f, "\n  {skipped}")?;
        }
        if self.skipped.len() > SHOWN {
            write!(f, "\n  ... and {} more", self.skipped.len() - SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for NumericsError {}

/// A comparison (`==`, `<`, `partial_cmp`, `is_zero`, ...) that found a Var of the tape
/// exactly equal to 0 or to another Var, recorded while
/// [`Tape::check_numerics`](crate::Tape::check_numerics) is on.
///
/// Comparisons look at values only, so code that branches on one takes the branch that
/// `f64` takes, and the derivative is that branch's. At a tie that can be wrong: nalgebra
/// skips the elimination step of a zero pivot column, a Householder reflection of norm
/// 0, a rotation of an off-diagonal entry that is already 0 — and the derivative of what
/// it skipped is lost (`tapegrad::linalg` records those functions with their adjoints
/// instead). A tie says where to look. Only exact equality is seen: a tolerance test such
/// as `norm <= ε` (nalgebra's small-rotation branch, its SVD convergence tests) is not a
/// tie, and is not reported.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tie {
    /// The newest node when the comparison ran: the comparison came after it.
    pub after_node: usize,
    /// The operation that made that node, where the tape recorded names.
    pub operation: Option<&'static str>,
    /// Whether the tie was at 0: a Var met 0, or two Vars that are both 0. Otherwise two
    /// equal nonzero Vars met.
    pub with_zero: bool,
}

impl fmt::Display for Tie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.with_zero {
            "a tie at 0"
        } else {
            "two equal Vars"
        };
        write!(
            f,
            "a comparison found {what} after node {}",
            self.after_node
        )?;
        if let Some(operation) = self.operation {
            write!(f, " ({operation})")?;
        }
        Ok(())
    }
}
