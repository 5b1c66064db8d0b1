//! [`Tape`]: the record of a computation, from which [`Tape::backward`] computes gradients.

use crate::gradients::{self, Gradients};
use crate::modes;
use crate::numerics::{NumericsError, Tie};
use crate::registry::Slot;
use crate::second_order::Sweeps;
use crate::var::Var;

/// The bytes of one recorded edge: a `u32` operand index and an `f64` partial.
const EDGE_BYTES: usize = std::mem::size_of::<u32>() + std::mem::size_of::<f64>();

/// The record of a computation: every operation on its [`Var`]s, in order, with the local
/// partial derivatives of each.
///
/// Make inputs with [`var`](Tape::var), compute with them as with `f64`, then call
/// [`backward`](Tape::backward) on the result to get the gradient with respect to every
/// input. In a loop, [`clear`](Tape::clear) the tape between steps: it keeps its memory,
/// so after the first step recording allocates nothing.
///
/// ```
/// use tapegrad::Tape;
///
/// let mut tape = Tape::new();
/// let mut w = 0.0;
/// for _ in 0..100 {
///     tape.clear();
///     let x = tape.var(w);
///     let loss = (x - 3.0).powi(2);
///     let grads = tape.backward(loss);
///     w -= 0.1 * grads[x];
/// }
/// assert!((w - 3.0f64).abs() < 1e-6);
/// ```
///
/// A tape stays on the thread that created it (it is neither `Send` nor `Sync`); its Vars
/// may be sent elsewhere but panic when used there. Run one tape per thread for parallel
/// work.
///
/// A Var cannot outlive its tape:
///
/// ```compile_fail,E0597
/// use tapegrad::{Tape, Var};
/// let x: Var<'_>;
/// {
///     let tape = Tape::new();
///     x = tape.var(1.0);
/// } // `tape` dropped here while still borrowed
/// println!("{}", x * 2.0);
/// ```
///
/// and the tape cannot be cleared while a Var of it is alive:
///
/// ```compile_fail,E0502
/// use tapegrad::Tape;
/// let mut tape = Tape::new();
/// let x = tape.var(1.0);
/// tape.clear(); // cannot borrow `tape` as mutable: `x` still borrows it
/// println!("{}", x * 2.0);
/// ```
pub struct Tape {
    slot: Slot,
}

impl std::fmt::Debug for Tape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tape").field("len", &self.len()).finish()
    }
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Tape::with_capacity(0)
    }

    /// An empty tape with room for `nodes` operations of two operands each before it
    /// needs to grow.
    pub fn with_capacity(nodes: usize) -> Self {
        Tape {
            slot: Slot::new(nodes.saturating_mul(2)),
        }
    }

    /// A new input of the computation, with value `value`.
    #[inline]
    pub fn var(&self, value: f64) -> Var<'_> {
        self.slot
            .with(|storage| Var::node(value, storage.leaf(value), storage.generation))
    }

    /// One new input per value, in order.
    ///
    /// ```
    /// # use tapegrad::Tape;
    /// let tape = Tape::new();
    /// let x = tape.vars(&[1.0, 2.0, 3.0]);
    /// let y: tapegrad::Var = x.iter().map(|&xi| xi * xi).sum();
    /// assert_eq!(tape.backward(y).wrt_all(&x), vec![2.0, 4.0, 6.0]);
    /// ```
    pub fn vars(&self, values: &[f64]) -> Vec<Var<'_>> {
        let mut vars = Vec::with_capacity(values.len());
        self.push_vars(values, &mut vars);
        vars
    }

    /// One new input per value, in order, appended to `vars`: consecutive nodes.
    fn push_vars<'a>(&self, values: &[f64], vars: &mut Vec<Var<'a>>) {
        self.slot.with(|storage| {
            let first = storage.leaves(values);
            let generation = storage.generation;
            vars.extend(
                (first..)
                    .zip(values)
                    .map(|(index, &value)| Var::node(value, index, generation)),
            );
        })
    }

    /// The gradient of `y` with respect to every Var of this tape, in one backward sweep
    /// over the nodes recorded up to `y`.
    ///
    /// Recording may go on after a `backward`, and `backward` may be called again, on the
    /// same or another output. A constant `y` has gradient zero everywhere.
    ///
    /// Where a node's adjoint is exactly zero, the sweep passes nothing back through it,
    /// even if a partial of it is infinite or NaN: see
    /// [`backward_checked`](Self::backward_checked) for when that matters.
    ///
    /// # Panics
    ///
    /// If `y` belongs to another tape. With [`check_numerics`](Self::check_numerics) on,
    /// also where [`backward_checked`](Self::backward_checked) would return an error,
    /// with that error's message.
    pub fn backward<'t>(&'t self, y: Var<'t>) -> Gradients<'t> {
        let seeds = std::iter::once((y, 1.0));
        gradients::backward(&self.slot, seeds.clone()).unwrap_or_else(|| {
            let (gradients, error) = gradients::backward_checked(&self.slot, seeds);
            panic_on_error(gradients, error)
        })
    }

    /// The vector-Jacobian product `Σᵢ cotangents[i] · ∇ys[i]`: the gradient of
    /// `Σᵢ cotangents[i] · ys[i]` with respect to every Var of this tape, in one backward
    /// sweep seeded with every output at once. An output listed twice gets the sum of its
    /// cotangents; constants among the outputs add nothing.
    ///
    /// ```
    /// use tapegrad::Tape;
    ///
    /// let tape = Tape::new();
    /// let (x, y) = (tape.var(2.0), tape.var(3.0));
    /// let (p, q) = (x * y, x.sin());
    /// // uᵀ J for u = (1, 10): the gradient of p + 10 q.
    /// let grads = tape.backward_with(&[p, q], &[1.0, 10.0]);
    /// assert_eq!(grads[x], 3.0 + 10.0 * 2.0f64.cos());
    /// assert_eq!(grads[y], 2.0);
    /// ```
    ///
    /// With [`check_numerics`](Self::check_numerics) on, it checks as
    /// [`backward`](Self::backward) does.
    ///
    /// # Panics
    ///
    /// If `ys` and `cotangents` differ in length, or an output belongs to another tape;
    /// with [`check_numerics`](Self::check_numerics) on, also where
    /// [`backward_checked`](Self::backward_checked) would return an error.
    pub fn backward_with<'t>(&'t self, ys: &[Var<'t>], cotangents: &[f64]) -> Gradients<'t> {
        assert_eq!(
            ys.len(),
            cotangents.len(),
            "tapegrad: Tape::backward_with: {} outputs but {} cotangents",
            ys.len(),
            cotangents.len()
        );
        let seeds = ys.iter().copied().zip(cotangents.iter().copied());
        gradients::backward(&self.slot, seeds.clone()).unwrap_or_else(|| {
            let (gradients, error) = gradients::backward_checked(&self.slot, seeds);
            panic_on_error(gradients, error)
        })
    }

    /// [`backward`](Self::backward), reporting every place where an infinite or NaN
    /// partial met a zero adjoint: a node that `y` depends on, whose adjoint came out
    /// exactly 0, with an edge whose partial is `±inf` or NaN. The sweep passes nothing
    /// through such an edge, where IEEE arithmetic would pass `0 · inf = NaN` (as
    /// PyTorch and TensorFlow do). That is right when the zero is a true zero of the
    /// derivative's limit, and silently wrong when it is not:
    ///
    /// ```
    /// use tapegrad::Tape;
    ///
    /// let mut tape = Tape::new();
    /// tape.check_numerics(true); // also records each operation's name, for the report
    /// let x = tape.var(0.0);
    /// let y = x.sqrt().powi(2); // d/dx (√x)² = 1, but the adjoint of √x is 2√x = 0
    /// let error = tape.backward_checked(y).unwrap_err();
    /// assert_eq!(error.skipped.len(), 1);
    /// assert_eq!(error.skipped[0].operation, Some("sqrt"));
    /// assert_eq!(error.skipped[0].partial, f64::INFINITY);
    /// ```
    ///
    /// The check costs a second buffer of one flag per node and a test per edge; on a
    /// tape with [`check_numerics`](Self::check_numerics) off it works the same, but
    /// names the operations only if the graph was recorded
    /// ([`record_graph`](Self::record_graph)).
    ///
    /// # Errors
    ///
    /// A [`NumericsError`] listing the skipped edges, last node first.
    ///
    /// # Panics
    ///
    /// If `y` belongs to another tape.
    pub fn backward_checked<'t>(&'t self, y: Var<'t>) -> Result<Gradients<'t>, NumericsError> {
        let (gradients, error) = gradients::backward_checked(&self.slot, std::iter::once((y, 1.0)));
        match error {
            None => Ok(gradients),
            Some(error) => Err(error),
        }
    }

    /// The comparisons that found a Var of this tape exactly equal to 0 or to another Var
    /// while [`check_numerics`](Self::check_numerics) was on, since the last
    /// [`clear`](Self::clear), in order: the ties at which generic code may have taken a
    /// branch whose derivative is not the function's (see [`Tie`]; tolerance tests such as
    /// `norm <= ε` are not ties). Switching the check off stops the recording and keeps
    /// what was recorded.
    ///
    /// ```
    /// # #[cfg(feature = "nalgebra")] {
    /// use nalgebra::Matrix4;
    /// use tapegrad::{Tape, Var};
    ///
    /// let tape: &'static mut Tape = Box::leak(Box::new(Tape::new()));
    /// tape.check_numerics(true);
    /// let tape: &'static Tape = tape;
    /// // A singular matrix with a zero first column: nalgebra's LU skips that column.
    /// let a = [0., 1., 2., 3., 0., 4., 5., 6., 0., 7., 8., 10., 0., 1., 1., 1.];
    /// let vars = tape.vars(&a);
    /// let det = Matrix4::from_row_slice(&vars).determinant();
    /// assert!(tape.ties().iter().any(|tie| tie.with_zero));
    /// # let _ = det;
    /// # }
    /// ```
    pub fn ties(&self) -> Vec<Tie> {
        self.slot.with(|storage| {
            storage
                .ties
                .iter()
                .map(|&(node, with_zero)| Tie {
                    after_node: node as usize,
                    operation: storage.operation(node as usize),
                    with_zero,
                })
                .collect()
        })
    }

    /// Switches the numerics check on or off (off by default), like PyTorch's anomaly
    /// detection or JAX's `debug_nans`. While on, every operation also records its name
    /// and value (as for [pictures of the graph](Self::record_graph), which makes
    /// recording slower), comparisons that tie are recorded for [`ties`](Self::ties),
    /// and [`backward`](Self::backward) panics where
    /// [`backward_checked`](Self::backward_checked) would report an infinite or NaN
    /// partial that met a zero adjoint, naming the operations. Off, it costs `backward`
    /// one flag test.
    pub fn check_numerics(&mut self, on: bool) {
        self.slot.with(|storage| storage.set_check_numerics(on));
    }

    /// How many nodes are recorded: inputs and operation results, not constants.
    pub fn len(&self) -> usize {
        self.slot.with(|storage| storage.len())
    }

    /// Bytes of memory that the recorded operations take on the tape: 12 per operand of
    /// each operation (its node index and the partial derivative), so 12 for `x.sin()`
    /// and 24 for `a * b`, plus 12 for each input made after the first operation, plus
    /// for each custom vector rule ([`Var::custom_vjp`]) 4 bytes per input and its
    /// bookkeeping (what its callback captures is not counted). The backward sweep adds
    /// 8 bytes per node for the adjoints.
    ///
    /// ```
    /// # use tapegrad::Tape;
    /// let tape = Tape::new();
    /// let x = tape.vars(&[1.0, 2.0]);
    /// let _y = (x[0] * x[1]).sin();
    /// assert_eq!((tape.len(), tape.memory_bytes()), (4, 24 + 12));
    /// ```
    pub fn memory_bytes(&self) -> usize {
        // The sink's edge is bookkeeping, not a recorded operation.
        self.slot.with(|storage| {
            let rules: usize = storage
                .calls
                .iter()
                .map(|call| size_of_val(call) + call.inputs.len() * size_of::<u32>())
                .sum();
            (storage.edges.len() - 1) * EDGE_BYTES + rules
        })
    }

    /// The bytes of memory the tape holds, in use or kept for reuse: its arrays of
    /// edges, second derivatives and annotations, and the adjoint buffer it lends to
    /// [`Gradients`].
    pub(crate) fn held_bytes(&self) -> usize {
        self.slot.with(|storage| storage.held_bytes())
    }

    /// The bytes of [`held_bytes`](Self::held_bytes) in use by the recording and the last
    /// backward sweep.
    pub(crate) fn used_bytes(&self) -> usize {
        self.slot.with(|storage| storage.used_bytes())
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every recorded node and keeps the memory, ready for the next computation.
    ///
    /// It takes `&mut self`, so the borrow checker ensures that no Var of the tape is
    /// alive. (A `Var<'static>` made through a per-thread tape is checked at run time
    /// instead: using it after the clear panics.)
    pub fn clear(&mut self) {
        self.slot.clear();
    }

    /// New inputs whose Vars are not tied to a borrow of the tape, appended to `inputs`:
    /// for the drivers, which hand `Var<'static>`s to closures and clear the tape
    /// afterwards, so that a Var that escapes panics on use (its generation is gone)
    /// instead of reading another node. They are consecutive nodes, whose gradient
    /// [`Gradients::wrt_consecutive`] reads in one copy.
    pub(crate) fn inputs(&self, values: &[f64], inputs: &mut Vec<Var<'static>>) {
        self.push_vars(values, inputs);
    }

    /// Switches the recording of second derivatives on or off.
    pub(crate) fn set_second_order(&mut self, on: bool) {
        self.slot.with(|storage| storage.set_second_order(on));
    }

    /// The gradient and the Hessian-vector product `H v` of `y`, where `inputs[i]` moves
    /// along `direction[i]`; read them from `sweeps`.
    ///
    /// # Panics
    ///
    /// If `y` belongs to another tape.
    pub(crate) fn hessian_vector_product(
        &self,
        sweeps: &mut Sweeps,
        y: Var<'_>,
        inputs: &[Var<'_>],
        direction: &[f64],
    ) {
        self.slot.with(|storage| {
            debug_assert!(storage.second_order, "a first-order tape has no curvature");
            let Some(y) = y.node_on(storage.generation) else {
                return sweeps.run(storage, 0, std::iter::empty());
            };
            let inputs = inputs.iter().zip(direction);
            sweeps.run(storage, y, inputs.map(|(x, &v)| (x.index, v)));
        });
    }

    /// The generation of the nodes recorded now, to find a Var's node
    /// ([`Var::node_on`]).
    pub(crate) fn generation(&self) -> u32 {
        self.slot.with(|storage| storage.generation)
    }

    /// Whether a custom vector rule is recorded, which forward mode cannot sweep through.
    pub(crate) fn has_custom_vector_rules(&self) -> bool {
        self.slot.with(|storage| !storage.calls.is_empty())
    }

    /// The tangents of every node up to `last` in `L` directions, from those of the
    /// inputs already in `tangents` (see [`modes::tangent_sweep`]).
    ///
    /// # Panics
    ///
    /// If a custom vector rule was recorded before `last`.
    pub(crate) fn tangents<const L: usize>(&self, last: u32, tangents: &mut [[f64; L]]) {
        self.slot
            .with(|storage| modes::tangent_sweep(storage, last, tangents));
    }

    /// The reverse sweep from `last` with `L` adjoints per node, seeded in `adjoints`
    /// (see [`modes::adjoint_sweep`]).
    pub(crate) fn adjoints<const L: usize>(&self, last: u32, adjoints: &mut [[f64; L]]) {
        modes::adjoint_sweep(&self.slot, last, adjoints);
    }

    /// Runs `f` on the tape's storage (a crate closure that does not reach back).
    pub(crate) fn with_storage<R>(&self, f: impl FnOnce(&mut crate::storage::Storage) -> R) -> R {
        self.slot.with(f)
    }
}

/// The gradients of a checked sweep, or a panic with the message of its error.
fn panic_on_error<'t>(gradients: Gradients<'t>, error: Option<NumericsError>) -> Gradients<'t> {
    match error {
        None => gradients,
        Some(error) => panic!("{error}"),
    }
}

impl Default for Tape {
    fn default() -> Self {
        Tape::new()
    }
}
