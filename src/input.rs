//! What the drivers take and return: [`Input`] for the point (and the direction or
//! cotangent), [`Output`] for what a vector-valued closure returns.
//!
//! | input `x`                                  | closure gets         | vectors out        | `hessian` out     |
//! |--------------------------------------------|----------------------|--------------------|-------------------|
//! | `[T]`, `[T; N]`, `Vec<T>`                  | `&[Var<'static>]`    | `Vec<f64>`         | [`Matrix`]        |
//! | nalgebra column vector, `D` rows (feature) | `&OVector<Var, D>`   | `OVector<f64, D>`  | `OMatrix<f64, D, D>` |
//!
//! | closure returns (for `jacobian`, `jvp`, `vjp`) | with input     | values          | Jacobian              |
//! |-----------------------------------------------|----------------|-----------------|-----------------------|
//! | `Vec<Var<'static>>`                           | slice-like     | `Vec<f64>`      | [`Matrix`], m × n     |
//! | `[Var<'static>; M]`                           | slice-like     | `[f64; M]`      | [`Matrix`], M × n     |
//! | `OVector<Var<'static>, M>` (feature)          | nalgebra, `D`  | `OVector<f64, M>` | `OMatrix<f64, M, D>` |
//!
//! `T` is any `Copy` number that converts to `f64` without loss: `f64`, `f32`, and the
//! integers up to 32 bits. The traits' methods are the drivers' business, hidden from the
//! documentation; their associated types are what a caller sees.

use crate::matrix::Matrix;
use crate::var::Var;

/// A point at which the drivers differentiate, or a direction or cotangent vector: a
/// slice, array or `Vec` of `f64` or `f32` (or of small integers), or, with the
/// `nalgebra` feature, a nalgebra column vector of fixed or dynamic size. See the
/// [module table](self) for what each gives.
pub trait Input {
    /// What the closure receives: `[Var<'static>]`, or a nalgebra vector of Vars.
    type Vars: ?Sized;
    /// A vector of this input's length (a gradient, `H v`, `uᵀ J`).
    type Vector;
    /// A square matrix of this input's size (a Hessian).
    type Matrix;
    /// The kind of input, which picks the type of a Jacobian (see [`Output`]): [`Flat`]
    /// for slices, arrays and `Vec`s, the nalgebra dimension for nalgebra vectors.
    type Shape;

    /// How many numbers.
    #[doc(hidden)]
    fn dimension(&self) -> usize;

    /// Appends the numbers, as `f64`, to `values`.
    #[doc(hidden)]
    fn extend_values(&self, values: &mut Vec<f64>);

    /// Runs `f` on `vars` in the shape of this input.
    #[doc(hidden)]
    fn with_vars<R>(vars: &[Var<'static>], f: impl FnOnce(&Self::Vars) -> R) -> R;

    /// A vector of `n` numbers, written by `fill` into zeros.
    #[doc(hidden)]
    fn vector_with(n: usize, fill: impl FnOnce(&mut [f64])) -> Self::Vector;

    /// An `n × n` matrix of zeros.
    #[doc(hidden)]
    fn zero_matrix(n: usize) -> Self::Matrix;

    /// Sets entry `(i, j)` of `matrix`.
    #[doc(hidden)]
    fn set_entry(matrix: &mut Self::Matrix, i: usize, j: usize, value: f64);
}

/// The shape of an [`Input`] that is a slice, an array or a `Vec`: with it, a closure
/// returning `Vec<Var<'static>>` or `[Var<'static>; M]` gets a [`Matrix`] Jacobian.
#[derive(Clone, Copy, Debug)]
pub struct Flat;

/// What a vector-valued closure returns to [`jacobian`](crate::jacobian),
/// [`jvp`](crate::jvp) and [`vjp`](crate::vjp), for an input of shape `S` (see
/// [`Input::Shape`] and the [module table](self)).
pub trait Output<S> {
    /// The outputs' values: `Vec<f64>`, `[f64; M]` or a nalgebra vector; also the type
    /// of `J v`.
    type Values;
    /// The Jacobian, outputs by inputs.
    type Jacobian;

    /// The output Vars, in order.
    #[doc(hidden)]
    fn vars(&self) -> &[Var<'static>];

    /// The values for `m` outputs, written by `fill` into zeros.
    #[doc(hidden)]
    fn values_with(m: usize, fill: impl FnOnce(&mut [f64])) -> Self::Values;

    /// An `m × n` Jacobian of zeros.
    #[doc(hidden)]
    fn zero_jacobian(m: usize, n: usize) -> Self::Jacobian;

    /// Sets entry `(i, j)` of `jacobian`.
    #[doc(hidden)]
    fn set_entry(jacobian: &mut Self::Jacobian, i: usize, j: usize, value: f64);
}

/// The slice-like inputs, each with its element type.
macro_rules! flat_inputs {
    ($([$($param:tt)*] $input:ty,)*) => {
        $(
            impl<T: Copy + Into<f64>, $($param)*> Input for $input {
                type Vars = [Var<'static>];
                type Vector = Vec<f64>;
                type Matrix = Matrix;
                type Shape = Flat;

                fn dimension(&self) -> usize {
                    self.len()
                }

                fn extend_values(&self, values: &mut Vec<f64>) {
                    values.extend(self.iter().map(|&x| x.into()));
                }

                fn with_vars<R>(vars: &[Var<'static>], f: impl FnOnce(&[Var<'static>]) -> R) -> R {
                    f(vars)
                }

                fn vector_with(n: usize, fill: impl FnOnce(&mut [f64])) -> Vec<f64> {
                    let mut vector = vec![0.0; n];
                    fill(&mut vector);
                    vector
                }

                fn zero_matrix(n: usize) -> Matrix {
                    Matrix::zeros(n, n)
                }

                fn set_entry(matrix: &mut Matrix, i: usize, j: usize, value: f64) {
                    matrix[(i, j)] = value;
                }
            }
        )*
    };
}

flat_inputs! {
    [] [T],
    [const N: usize] [T; N],
    [] Vec<T>,
}

impl Output<Flat> for Vec<Var<'static>> {
    type Values = Vec<f64>;
    type Jacobian = Matrix;

    fn vars(&self) -> &[Var<'static>] {
        self
    }

    fn values_with(m: usize, fill: impl FnOnce(&mut [f64])) -> Vec<f64> {
        let mut values = vec![0.0; m];
        fill(&mut values);
        values
    }

    fn zero_jacobian(m: usize, n: usize) -> Matrix {
        Matrix::zeros(m, n)
    }

    fn set_entry(jacobian: &mut Matrix, i: usize, j: usize, value: f64) {
        jacobian[(i, j)] = value;
    }
}

impl<const M: usize> Output<Flat> for [Var<'static>; M] {
    type Values = [f64; M];
    type Jacobian = Matrix;

    fn vars(&self) -> &[Var<'static>] {
        self
    }

    fn values_with(m: usize, fill: impl FnOnce(&mut [f64])) -> [f64; M] {
        debug_assert_eq!(m, M);
        let mut values = [0.0; M];
        fill(&mut values);
        values
    }

    fn zero_jacobian(m: usize, n: usize) -> Matrix {
        Matrix::zeros(m, n)
    }

    fn set_entry(jacobian: &mut Matrix, i: usize, j: usize, value: f64) {
        jacobian[(i, j)] = value;
    }
}

#[cfg(feature = "nalgebra")]
mod nalgebra_shapes {
    use ::nalgebra::allocator::Allocator;
    use ::nalgebra::{DefaultAllocator, Dim, OMatrix, OVector, RawStorage, Scalar, U1};

    use super::{Input, Output};
    use crate::var::Var;

    /// A nalgebra column vector of any storage: owned, a view, fixed or dynamic.
    impl<T, D, S> Input for ::nalgebra::Matrix<T, D, U1, S>
    where
        T: Scalar + Copy + Into<f64>,
        D: Dim,
        S: RawStorage<T, D>,
        DefaultAllocator: Allocator<D> + Allocator<D, D>,
    {
        type Vars = OVector<Var<'static>, D>;
        type Vector = OVector<f64, D>;
        type Matrix = OMatrix<f64, D, D>;
        type Shape = D;

        fn dimension(&self) -> usize {
            self.nrows()
        }

        fn extend_values(&self, values: &mut Vec<f64>) {
            values.extend(self.iter().map(|&x| x.into()));
        }

        fn with_vars<R>(vars: &[Var<'static>], f: impl FnOnce(&Self::Vars) -> R) -> R {
            let d = D::from_usize(vars.len());
            f(&OVector::from_iterator_generic(d, U1, vars.iter().copied()))
        }

        fn vector_with(n: usize, fill: impl FnOnce(&mut [f64])) -> Self::Vector {
            let mut vector = OVector::zeros_generic(D::from_usize(n), U1);
            fill(vector.as_mut_slice());
            vector
        }

        fn zero_matrix(n: usize) -> Self::Matrix {
            let d = D::from_usize(n);
            OMatrix::zeros_generic(d, d)
        }

        fn set_entry(matrix: &mut Self::Matrix, i: usize, j: usize, value: f64) {
            matrix[(i, j)] = value;
        }
    }

    impl<D, M> Output<D> for OVector<Var<'static>, M>
    where
        D: Dim,
        M: Dim,
        DefaultAllocator: Allocator<M> + Allocator<M, D>,
    {
        type Values = OVector<f64, M>;
        type Jacobian = OMatrix<f64, M, D>;

        fn vars(&self) -> &[Var<'static>] {
            self.as_slice()
        }

        fn values_with(m: usize, fill: impl FnOnce(&mut [f64])) -> Self::Values {
            let mut values = OVector::zeros_generic(M::from_usize(m), U1);
            fill(values.as_mut_slice());
            values
        }

        fn zero_jacobian(m: usize, n: usize) -> Self::Jacobian {
            OMatrix::zeros_generic(M::from_usize(m), D::from_usize(n))
        }

        fn set_entry(jacobian: &mut Self::Jacobian, i: usize, j: usize, value: f64) {
            jacobian[(i, j)] = value;
        }
    }
}
