//! [`Var`]: a value recorded on a tape, and the three helpers that record operations.

use std::fmt;
use std::marker::PhantomData;

use crate::registry;
use crate::storage::Storage;

/// The generation of constants, which belong to no tape: the registry never gives it to a
/// tape.
pub(crate) const CONSTANT: u32 = registry::NO_TAPE;

/// A differentiable `f64`: a value together with the node that records how it was made.
///
/// A `Var<'t>` comes from [`Tape::var`](crate::Tape::var) or from an operation on other
/// Vars, and the lifetime `'t` ties it to the borrow of its [`Tape`](crate::Tape): it
/// cannot outlive the tape, and the tape cannot be [cleared](crate::Tape::clear) while it
/// is alive. It is 16 bytes of plain data — `Copy`, `Send` and `Sync` — and implements
/// the std operators and the `num_traits` numeric traits, so generic code written for
/// `f64` runs on it unchanged.
///
/// A Var can also be a *constant*, [`Var::constant`], that belongs to no tape: what
/// generic code makes with `T::from(2.0)`, `T::one()` or `T::PI()`. An operation whose
/// operands are all constants records nothing and returns a constant; the gradient of
/// anything with respect to a constant is `0.0`.
///
/// # Comparisons look at values only
///
/// `==`, `<` and the other comparisons compare [`value`](Var::value)s, as on `f64`, and
/// ignore the graph, so that generic code takes the same branches on Vars as on `f64`.
/// The derivative is then that of the branch taken.
///
/// # Panics
///
/// An operation panics, with a message saying what to do, when its operands belong to two
/// different tapes, when a Var is used on another thread than its tape's, or when a
/// `Var<'static>` is used after its tape was cleared.
#[derive(Clone, Copy)]
pub struct Var<'t> {
    pub(crate) value: f64,
    /// The node on the tape; 0 for constants.
    pub(crate) index: u32,
    /// Which tape, and which epoch of it between two clears; [`CONSTANT`] for constants.
    pub(crate) generation: u32,
    _tape: PhantomData<&'t ()>,
}

impl<'t> Var<'t> {
    /// A constant: a Var that belongs to no tape and has gradient zero.
    ///
    /// ```
    /// use tapegrad::{Tape, Var};
    /// let tape = Tape::new();
    /// let x = tape.var(3.0);
    /// let two = Var::constant(2.0);
    /// let y = two * x;
    /// let grads = tape.backward(y);
    /// assert_eq!(grads[x], 2.0);
    /// assert_eq!(grads[two], 0.0);
    /// ```
    #[inline]
    pub const fn constant(value: f64) -> Self {
        Var::node(value, 0, CONSTANT)
    }

    #[inline(always)]
    pub(crate) const fn node(value: f64, index: u32, generation: u32) -> Self {
        Var {
            value,
            index,
            generation,
            _tape: PhantomData,
        }
    }

    /// The value, as the same computation on `f64` would give it.
    #[inline]
    pub const fn value(self) -> f64 {
        self.value
    }

    /// Whether this Var is a constant, recorded on no tape.
    #[inline]
    pub const fn is_constant(self) -> bool {
        self.generation == CONSTANT
    }

    /// This Var's node on the tape of generation `generation`, or `None` for a constant:
    /// the one check of a Var against a tape that every tape method makes.
    ///
    /// # Panics
    ///
    /// If the Var belongs to another tape, or to no live one (see
    /// [`registry::mixed_tapes`]).
    #[inline]
    pub(crate) fn node_on(self, generation: u32) -> Option<u32> {
        if self.generation == generation {
            Some(self.index)
        } else if self.generation == CONSTANT {
            None
        } else {
            registry::mixed_tapes(self.generation, generation)
        }
    }

    /// Records `value = op(self)` with `∂value/∂self = d`, for an operation linear in
    /// `self` or whose second derivative is 0 (`op` names it in graph pictures).
    #[inline(always)]
    pub(crate) fn unary(self, op: &'static str, value: f64, d: f64) -> Self {
        self.unary_curved(op, value, d, || 0.0)
    }

    /// Records `value = op(self)` with `∂value/∂self = d` and, on a second-order tape,
    /// `∂²value/∂self² = d2()`.
    #[inline(always)]
    pub(crate) fn unary_curved(
        self,
        op: &'static str,
        value: f64,
        d: f64,
        d2: impl FnOnce() -> f64,
    ) -> Self {
        self.unary_with_constant(op, value, d, d2, NO_CONSTANT)
    }

    /// [`unary_curved`](Self::unary_curved) for an operation that also has a constant
    /// operand, `(slot, value)`: its place among the operands and its value, which only
    /// a recorded graph keeps ([`NO_CONSTANT`] if there is none).
    #[inline(always)]
    fn unary_with_constant(
        self,
        op: &'static str,
        value: f64,
        d: f64,
        d2: impl FnOnce() -> f64,
        constant: (u32, f64),
    ) -> Self {
        if self.generation == CONSTANT {
            return Var::constant(value);
        }
        let a = self.index;
        let index = registry::record(
            self.generation,
            #[inline(always)]
            move |storage| match storage.try_unary(a, d) {
                Some(node) => node,
                None => unary_slow(storage, op, value, a, d, d2, constant),
            },
        );
        Var::node(value, index, self.generation)
    }

    /// Records `value = op(self, other)` with `partials = [∂value/∂self, ∂value/∂other]`,
    /// for an operation whose second derivatives are 0.
    /// Constants among the operands are left out of the edges (a recorded graph keeps
    /// their values).
    #[inline(always)]
    pub(crate) fn binary(
        self,
        op: &'static str,
        other: Self,
        value: f64,
        partials: [f64; 2],
    ) -> Self {
        self.binary_curved(op, other, value, partials, || [0.0; 3])
    }

    /// Records `value = op(self, other)` as [`binary`](Self::binary) does and, on a
    /// second-order tape, its local Hessian `second() = [∂²/∂self², ∂²/∂self∂other,
    /// ∂²/∂other²]`.
    #[inline(always)]
    pub(crate) fn binary_curved(
        self,
        op: &'static str,
        other: Self,
        value: f64,
        [da, db]: [f64; 2],
        second: impl FnOnce() -> [f64; 3],
    ) -> Self {
        if self.generation == other.generation {
            if self.generation == CONSTANT {
                return Var::constant(value);
            }
            let (a, b) = (self.index, other.index);
            let index = registry::record(
                self.generation,
                #[inline(always)]
                move |storage| match storage.try_binary(a, da, b, db) {
                    Some(node) => node,
                    None => binary_slow(storage, op, value, [a, b], [da, db], second),
                },
            );
            Var::node(value, index, self.generation)
        } else if other.generation == CONSTANT {
            self.unary_with_constant(op, value, da, || second()[0], (1, other.value))
        } else if self.generation == CONSTANT {
            other.unary_with_constant(op, value, db, || second()[2], (0, self.value))
        } else {
            registry::mixed_tapes(self.generation, other.generation)
        }
    }

    /// Records `value = op(operands)` with one partial per operand, as one node, and, on
    /// a second-order tape, its second derivatives `second()` (a sum has none:
    /// `std::iter::empty`). Constants among the operands are left out of the record, and
    /// their values kept only when the graph is recorded. `generation` is the operands'
    /// common generation (see [`common_generation`]), which the caller finds while
    /// computing the value.
    pub(crate) fn nary_on<I, C>(
        generation: u32,
        op: &'static str,
        value: f64,
        edges: I,
        second: impl FnOnce() -> C,
    ) -> Self
    where
        I: Iterator<Item = (Var<'t>, f64)> + Clone,
        C: IntoIterator<Item = SecondPartial<'t>>,
    {
        if generation == CONSTANT {
            return Var::constant(value);
        }
        let index = registry::record(generation, |storage| {
            if storage.extras {
                return nary_slow(storage, op, value, edges, second);
            }
            storage.nary(
                edges
                    .filter(|(var, _)| var.generation != CONSTANT)
                    .map(|(var, d)| (var.index, d)),
            )
        });
        Var::node(value, index, generation)
    }
}

/// One second derivative of an n-ary operation, between two of its operands.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SecondPartial<'t> {
    /// `∂²value/∂a²`, of one operand slot.
    Diagonal(Var<'t>, f64),
    /// `∂²value/∂a∂b = ∂²value/∂b∂a` of two operand slots (the same Var twice counts
    /// twice, as the mixed term of `(a + b)²` at `a = b` does).
    Cross(Var<'t>, Var<'t>, f64),
}

/// The generation of the operands so far, `generation`, with `var`'s: the one
/// generation of all that are not constants, or [`CONSTANT`] if all are.
///
/// # Panics
///
/// If `var` and the operands so far belong to two different tapes.
#[inline(always)]
pub(crate) fn common_generation(generation: u32, var: Var<'_>) -> u32 {
    if var.generation == CONSTANT || var.generation == generation {
        generation
    } else if generation == CONSTANT {
        var.generation
    } else {
        registry::mixed_tapes(generation, var.generation)
    }
}

/// Checks that `vars` are constants or Vars of one tape that lives on this thread, for
/// an operation that returns one of its operands or records fewer than all of them
/// (`max`, `min`, `clamp`, `copysign`, `abs_sub`): such an operation must panic on Vars
/// of two tapes or on a stale Var, as every recorded operation does.
///
/// # Panics
///
/// As [`common_generation`], and if the tape of the Vars was cleared or dropped, or lives
/// on another thread.
#[inline]
pub(crate) fn check_operands(vars: &[Var<'_>]) {
    let generation = vars
        .iter()
        .fold(CONSTANT, |g, &var| common_generation(g, var));
    if generation != CONSTANT {
        registry::resolve(generation);
    }
}

/// What [`Var::unary_with_constant`] is given for an operation without a constant
/// operand.
const NO_CONSTANT: (u32, f64) = (u32::MAX, 0.0);

/// A unary operation off the fast path: when the tape must grow, or records extras (the
/// operation's name and value for graph pictures, its second derivative on a
/// second-order tape).
#[cold]
#[inline(never)]
fn unary_slow(
    storage: &mut Storage,
    op: &'static str,
    value: f64,
    a: u32,
    d: f64,
    d2: impl FnOnce() -> f64,
    (slot, constant): (u32, f64),
) -> u32 {
    let node = storage.unary(a, d);
    storage.annotate(op, value);
    if slot != NO_CONSTANT.0 {
        storage.annotate_constant(slot, constant);
    }
    if storage.second_order {
        storage.curve(node, a, d2());
    }
    node
}

/// The slow path of a binary operation (see [`unary_slow`]).
#[cold]
#[inline(never)]
fn binary_slow(
    storage: &mut Storage,
    op: &'static str,
    value: f64,
    [a, b]: [u32; 2],
    [da, db]: [f64; 2],
    second: impl FnOnce() -> [f64; 3],
) -> u32 {
    let node = storage.binary(a, da, b, db);
    storage.annotate(op, value);
    if storage.second_order {
        let [aa, ab, bb] = second();
        storage.curve(node, a, aa);
        storage.curve_cross(node, a, b, ab);
        storage.curve(node, b, bb);
    }
    node
}

/// An n-ary operation on a tape that records extras: its second derivatives first (a
/// custom rule without them panics before anything is recorded), then its edges, its
/// name, value and constant operands for a graph, and its second derivatives on a
/// second-order tape (see [`Var::nary_on`]).
#[cold]
#[inline(never)]
fn nary_slow<'t, C>(
    storage: &mut Storage,
    op: &'static str,
    value: f64,
    edges: impl Iterator<Item = (Var<'t>, f64)> + Clone,
    second: impl FnOnce() -> C,
) -> u32
where
    C: IntoIterator<Item = SecondPartial<'t>>,
{
    let second = storage.second_order.then(second);
    let node = storage.nary(
        edges
            .clone()
            .filter(|(var, _)| var.generation != CONSTANT)
            .map(|(var, d)| (var.index, d)),
    );
    storage.annotate(op, value);
    if storage.graph {
        for (slot, (var, _)) in (0..).zip(edges) {
            if var.generation == CONSTANT {
                storage.annotate_constant(slot, var.value);
            }
        }
    }
    for term in second.into_iter().flatten() {
        match term {
            SecondPartial::Diagonal(a, d2) if a.generation != CONSTANT => {
                storage.curve(node, a.index, d2);
            }
            SecondPartial::Cross(a, b, d2)
                if a.generation != CONSTANT && b.generation != CONSTANT =>
            {
                storage.curve_cross(node, a.index, b.index, d2);
            }
            _ => {}
        }
    }
    node
}

impl Default for Var<'_> {
    /// The constant `0.0`.
    fn default() -> Self {
        Var::constant(0.0)
    }
}

impl From<f64> for Var<'_> {
    /// The constant `value`.
    fn from(value: f64) -> Self {
        Var::constant(value)
    }
}

impl From<f32> for Var<'_> {
    /// The constant `value`, widened to `f64` exactly, so that generic code bounded by
    /// `T: From<f32>` (`T::from(0.5f32)`) runs on Vars.
    fn from(value: f32) -> Self {
        Var::constant(f64::from(value))
    }
}

impl fmt::Debug for Var<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Var");
        s.field("value", &self.value);
        if self.is_constant() {
            s.field("node", &"constant");
        } else {
            s.field("node", &self.index);
        }
        s.finish()
    }
}

impl fmt::Display for Var<'_> {
    /// Formats the value as `f64` does, honouring width, precision and flags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl fmt::LowerExp for Var<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerExp::fmt(&self.value, f)
    }
}

impl fmt::UpperExp for Var<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::UpperExp::fmt(&self.value, f)
    }
}

impl PartialEq for Var<'_> {
    /// Compares values only (see [`Var`]). An equal result is a tie, which the checked
    /// mode reports ([`Tape::ties`](crate::Tape::ties)).
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let equal = self.value == other.value;
        if equal {
            note_tie(*self, *other);
        }
        equal
    }
}

impl PartialOrd for Var<'_> {
    /// Compares values only (see [`Var`]); an equal result is a tie, as for `==`.
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        let ordering = self.value.partial_cmp(&other.value);
        if ordering == Some(std::cmp::Ordering::Equal) {
            note_tie(*self, *other);
        }
        ordering
    }
}

impl PartialEq<f64> for Var<'_> {
    #[inline]
    fn eq(&self, other: &f64) -> bool {
        *self == Var::constant(*other)
    }
}

impl PartialOrd<f64> for Var<'_> {
    #[inline]
    fn partial_cmp(&self, other: &f64) -> Option<std::cmp::Ordering> {
        self.partial_cmp(&Var::constant(*other))
    }
}

impl PartialEq<Var<'_>> for f64 {
    #[inline]
    fn eq(&self, other: &Var<'_>) -> bool {
        Var::constant(*self) == *other
    }
}

impl PartialOrd<Var<'_>> for f64 {
    #[inline]
    fn partial_cmp(&self, other: &Var<'_>) -> Option<std::cmp::Ordering> {
        Var::constant(*self).partial_cmp(other)
    }
}

/// Notes a comparison that found `a` and `b` equal, for the checked mode: reported when
/// a Var of a tape met another such Var, or 0 (the exact-zero tests of generic code,
/// whose branch decides the derivative). Costs nothing off ties, and only a lookup on
/// ties unless the tape checks numerics.
#[cold]
#[inline(never)]
pub(crate) fn note_tie(a: Var<'_>, b: Var<'_>) {
    let both = a.generation != CONSTANT && b.generation != CONSTANT;
    let with_zero = a.value == 0.0;
    if !(both || with_zero) {
        return;
    }
    let generation = if a.generation != CONSTANT {
        a.generation
    } else {
        b.generation
    };
    if generation == CONSTANT {
        return;
    }
    registry::record_if_live(generation, |storage| {
        if storage.check_numerics {
            storage.ties.push((storage.nodes - 1, with_zero));
        }
    });
}
