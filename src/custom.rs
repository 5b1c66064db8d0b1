//! Your own derivatives: a node whose value and partials come from any code, and a
//! vector rule whose reverse sweep calls your vector-Jacobian product.
//!
//! | function                    | records                                  | second order            |
//! |-----------------------------|------------------------------------------|-------------------------|
//! | [`Var::custom`]             | one node with the given partials         | panics in `hessian`/`hvp` |
//! | [`Var::custom_with_hessian`] | one node with partials and local Hessian | exact                   |
//! | [`Var::custom_vjp`]         | m output nodes and a callback            | panics in `hessian`/`hvp` |
//!
//! A scalar rule needs only numbers on the tape: the backward sweep multiplies each
//! partial by the node's adjoint, as for any built-in operation. A vector rule maps n
//! inputs to m outputs without ever forming its m × n Jacobian, so the tape cannot hold
//! the Jacobian's entries; it holds a callback instead, which the sweep calls with the
//! outputs' adjoints and which returns the inputs' (as JAX's `custom_vjp` and CoDiPack's
//! external functions do).

use std::rc::Rc;

use crate::registry;
use crate::var::{CONSTANT, SecondPartial, Var, common_generation};

impl<'t> Var<'t> {
    /// A node of value `value` whose partial derivative with respect to `inputs[i]` is
    /// `partials[i]`: a function whose derivative you know, computed by any code (a
    /// black box, a C library, a table).
    ///
    /// One call records one node. Constants among the inputs drop out; if every input
    /// is a constant (or there are none), the result is a constant. The same Var twice
    /// among the inputs gets the sum of its partials.
    ///
    /// ```
    /// use tapegrad::{Tape, Var};
    ///
    /// // f(a, b) = a² b, with its partials given by hand.
    /// let tape = Tape::new();
    /// let (a, b) = (tape.var(3.0), tape.var(2.0));
    /// let (av, bv) = (a.value(), b.value());
    /// let f = Var::custom(&[a, b], av * av * bv, &[2.0 * av * bv, av * av]);
    /// let grads = tape.backward(f * 10.0);
    /// assert_eq!((f.value(), grads[a], grads[b]), (18.0, 120.0, 90.0));
    /// ```
    ///
    /// # Panics
    ///
    /// If `partials` and `inputs` differ in length (even when every input is a
    /// constant); if the inputs belong to two different tapes; and on a second-order
    /// tape (inside [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), which needs the
    /// second derivatives that [`custom_with_hessian`](Self::custom_with_hessian) takes:
    /// a Hessian is never silently wrong.
    pub fn custom(inputs: &[Var<'t>], value: f64, partials: &[f64]) -> Self {
        check_length("partials", partials.len(), inputs.len(), inputs.len());
        Var::record_custom(inputs, value, partials, || -> std::iter::Empty<_> {
            panic!(
                "tapegrad: Var::custom records no second derivatives, and this tape needs \
                 them (inside tapegrad::hessian or hvp). Use Var::custom_with_hessian, \
                 which takes the lower triangle of the local Hessian too"
            )
        })
    }

    /// [`custom`](Self::custom) with second derivatives too, so that
    /// [`hessian`](crate::hessian) and [`hvp`](crate::hvp) are exact through it.
    ///
    /// `hessian` holds the lower triangle of the local Hessian `∂²value/∂inputs[i]
    /// ∂inputs[j]`, row by row, indexed by position among all the inputs (constants
    /// included): for inputs `(a, b, c)` it is `[aa, ba, bb, ca, cb, cc]`, `n (n + 1) /
    /// 2` numbers for `n` inputs. The same Var twice gets the sum of its terms: inputs
    /// `(x, x)` have second derivative `h_aa + 2 h_ba + h_bb` with respect to `x`.
    ///
    /// ```
    /// # #[cfg(feature = "nalgebra")] {
    /// use nalgebra::{Matrix2, Vector2};
    /// use tapegrad::Var;
    ///
    /// // f(a, b) = a² b: ∂²f/∂a² = 2b, ∂²f/∂b∂a = 2a, ∂²f/∂b² = 0.
    /// let f = |v: &Vector2<Var<'static>>| {
    ///     let (a, b) = (v[0].value(), v[1].value());
    ///     Var::custom_with_hessian(
    ///         &[v[0], v[1]],
    ///         a * a * b,
    ///         &[2.0 * a * b, a * a],
    ///         &[2.0 * b, 2.0 * a, 0.0],
    ///     )
    /// };
    /// let (_, _, hessian) = tapegrad::hessian(f, &Vector2::new(3.0, 2.0));
    /// assert_eq!(hessian, Matrix2::new(4.0, 6.0, 6.0, 0.0));
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If `partials` or `hessian` has the wrong length for `inputs` (even when every
    /// input is a constant), or if the inputs belong to two different tapes.
    pub fn custom_with_hessian(
        inputs: &[Var<'t>],
        value: f64,
        partials: &[f64],
        hessian: &[f64],
    ) -> Self {
        let n = inputs.len();
        check_length("partials", partials.len(), n, n);
        check_length(
            "Hessian entries (its lower triangle)",
            hessian.len(),
            n * (n + 1) / 2,
            n,
        );
        Var::record_custom(inputs, value, partials, || {
            // Row i holds the terms (i, 0), ..., (i, i).
            (0..n).flat_map(move |i| {
                (0..=i).map(move |j| {
                    let d2 = hessian[i * (i + 1) / 2 + j];
                    if i == j {
                        SecondPartial::Diagonal(inputs[i], d2)
                    } else {
                        SecondPartial::Cross(inputs[i], inputs[j], d2)
                    }
                })
            })
        })
    }

    /// One node of `inputs` with `partials`, and the second derivatives `second()` on a
    /// second-order tape.
    fn record_custom<C>(
        inputs: &[Var<'t>],
        value: f64,
        partials: &[f64],
        second: impl FnOnce() -> C,
    ) -> Self
    where
        C: IntoIterator<Item = SecondPartial<'t>>,
    {
        let generation = inputs.iter().copied().fold(CONSTANT, common_generation);
        let edges = inputs.iter().copied().zip(partials.iter().copied());
        Var::nary_on(generation, "custom", value, edges, second)
    }

    /// A vector rule with its own vector-Jacobian product: m outputs of values
    /// `outputs`, computed from `inputs` by any code, whose reverse-mode derivative is
    /// `vjp`. The backward sweep calls `vjp(ȳ, x̄)` with the outputs' adjoints `ȳ` (m
    /// numbers) and a slice `x̄` of n zeros, into which `vjp` writes the inputs'
    /// adjoints `x̄ = Jᵀ ȳ`. The Jacobian is never formed, and the tape holds only the
    /// outputs, the inputs' node numbers and the callback, with whatever it captures.
    ///
    /// The sweep skips the callback when every output's adjoint is 0. In pictures of the
    /// graph the outputs appear as nodes named `custom_vjp` without edges to the inputs
    /// (the tape holds no edge between them). `vjp` receives and
    /// returns plain `f64`s and must own what it uses (`'static`): the factorization of
    /// a matrix, say. Constants among the inputs get adjoints that are dropped; if every
    /// input is a constant the outputs are constants.
    ///
    /// A linear solve `x = A⁻¹ b`, whose adjoint is one solve with `Aᵀ`: `b̄ = A⁻ᵀ x̄`
    /// and `Ā = -b̄ xᵀ` (Giles 2008):
    ///
    /// ```
    /// # #[cfg(feature = "nalgebra")] {
    /// use nalgebra::{DMatrix, DVector};
    /// use tapegrad::Var;
    ///
    /// /// x = A⁻¹ b for an n × n A given column by column, recorded as one rule.
    /// fn solve<'t>(a: &[Var<'t>], b: &[Var<'t>]) -> Vec<Var<'t>> {
    ///     let n = b.len();
    ///     let matrix = DMatrix::from_iterator(n, n, a.iter().map(|v| v.value()));
    ///     let b_values = DVector::from_iterator(n, b.iter().map(|v| v.value()));
    ///     let x = matrix.clone().lu().solve(&b_values).expect("a regular matrix");
    ///     let transposed = matrix.transpose().lu(); // for the adjoint: solves with Aᵀ
    ///     let inputs: Vec<Var<'t>> = a.iter().chain(b).copied().collect();
    ///     let outputs = x.as_slice().to_vec();
    ///     Var::custom_vjp(&inputs, &outputs, move |x_bar, inputs_bar| {
    ///         let b_bar = transposed.solve(&DVector::from_column_slice(x_bar)).unwrap();
    ///         let a_bar = -&b_bar * x.transpose();
    ///         inputs_bar[..n * n].copy_from_slice(a_bar.as_slice());
    ///         inputs_bar[n * n..].copy_from_slice(b_bar.as_slice());
    ///     })
    /// }
    ///
    /// // A = [[2, 1], [1, 3]], b = [3, 5]: x = [0.8, 1.4]; the gradient of x₀ + x₁.
    /// let (value, gradient) = tapegrad::gradient(
    ///     |v| {
    ///         let x = solve(&v[..4], &v[4..]);
    ///         x[0] + x[1]
    ///     },
    ///     &[2.0, 1.0, 1.0, 3.0, 3.0, 5.0],
    /// );
    /// assert!((value - 2.2).abs() < 1e-12);
    /// // b̄ = A⁻ᵀ [1, 1] = [0.4, 0.2]; Ā = -b̄ xᵀ, column-major.
    /// let expected = [-0.32, -0.16, -0.56, -0.28, 0.4, 0.2];
    /// for (g, e) in gradient.iter().zip(expected) {
    ///     assert!((g - e).abs() < 1e-12, "{gradient:?}");
    /// }
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If the inputs belong to two different tapes; on a second-order tape (inside
    /// [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), as the rule has no second
    /// derivatives; and, during the backward sweep, if `vjp` records on the tape being
    /// swept.
    pub fn custom_vjp<F>(inputs: &[Var<'t>], outputs: &[f64], vjp: F) -> Vec<Var<'t>>
    where
        F: Fn(&[f64], &mut [f64]) + 'static,
    {
        let generation = inputs.iter().copied().fold(CONSTANT, common_generation);
        if generation == CONSTANT || outputs.is_empty() {
            return outputs.iter().map(|&value| Var::constant(value)).collect();
        }
        let input_nodes = inputs
            .iter()
            .map(|input| input.node_on(generation).unwrap_or(0))
            .collect();
        let first = registry::record(generation, |storage| {
            assert!(
                !storage.second_order,
                "tapegrad: Var::custom_vjp has no second derivatives, and this tape needs \
                 them (inside tapegrad::hessian or hvp). Write the rule with \
                 Var::custom_with_hessian per output, or differentiate through its \
                 operations"
            );
            storage.custom_call(input_nodes, outputs, Rc::new(vjp))
        });
        (first..)
            .zip(outputs)
            .map(|(node, &value)| Var::node(value, node, generation))
            .collect()
    }
}

/// Panics unless `found`, the length of the argument `what` of a custom rule of
/// `inputs` inputs, is `expected`.
fn check_length(what: &str, found: usize, expected: usize, inputs: usize) {
    assert!(
        found == expected,
        "tapegrad: a custom rule of {inputs} inputs takes {expected} {what}; {found} were given"
    );
}
