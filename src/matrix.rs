//! [`Matrix`]: the dense row-major matrix that the drivers return for slice inputs, so
//! that Jacobians and Hessians need no linear-algebra crate.

use std::fmt;
use std::ops::{Index, IndexMut};

/// A dense matrix of `f64`, stored row by row: what [`jacobian`](crate::jacobian) and
/// [`hessian`](crate::hessian) return when their input is a slice, an array or a `Vec`
/// (nalgebra inputs give nalgebra matrices).
///
/// ```
/// let (_, jacobian) = tapegrad::jacobian(|x| vec![x[0] * x[1], x[1].sin()], &[2.0, 0.0]);
/// assert_eq!((jacobian.rows(), jacobian.columns()), (2, 2));
/// assert_eq!(jacobian[(0, 1)], 2.0); // ∂(x₀ x₁)/∂x₁
/// assert_eq!(jacobian.row(1), &[0.0, 1.0]);
/// assert_eq!(jacobian.as_slice(), &[0.0, 2.0, 0.0, 1.0]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    columns: usize,
    /// Row `i` is `entries[i * columns..(i + 1) * columns]`.
    entries: Vec<f64>,
}

impl Matrix {
    /// A `rows × columns` matrix of zeros.
    pub fn zeros(rows: usize, columns: usize) -> Self {
        let len = rows
            .checked_mul(columns)
            .expect("tapegrad::Matrix: rows × columns overflows usize");
        Matrix {
            rows,
            columns,
            entries: vec![0.0; len],
        }
    }

    /// How many rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// How many columns.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Row `i`.
    ///
    /// # Panics
    ///
    /// If `i` is not below [`rows`](Self::rows).
    pub fn row(&self, i: usize) -> &[f64] {
        assert!(i < self.rows, "tapegrad::Matrix: row {i} of {}", self.rows);
        &self.entries[i * self.columns..(i + 1) * self.columns]
    }

    /// Every entry, row by row.
    pub fn as_slice(&self) -> &[f64] {
        &self.entries
    }

    /// Every entry, row by row, without a copy.
    pub fn into_vec(self) -> Vec<f64> {
        self.entries
    }

    /// The offset of entry `(i, j)` in [`as_slice`](Self::as_slice).
    #[inline]
    fn offset(&self, (i, j): (usize, usize)) -> usize {
        assert!(
            i < self.rows && j < self.columns,
            "tapegrad::Matrix: entry ({i}, {j}) of a {} × {} matrix",
            self.rows,
            self.columns
        );
        i * self.columns + j
    }
}

impl Index<(usize, usize)> for Matrix {
    type Output = f64;

    /// Entry `(row, column)`.
    #[inline]
    fn index(&self, index: (usize, usize)) -> &f64 {
        &self.entries[self.offset(index)]
    }
}

impl IndexMut<(usize, usize)> for Matrix {
    #[inline]
    fn index_mut(&mut self, index: (usize, usize)) -> &mut f64 {
        let offset = self.offset(index);
        &mut self.entries[offset]
    }
}

impl fmt::Debug for Matrix {
    /// Row by row: `[[1.0, 2.0], [3.0, 4.0]]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.columns == 0 {
            return f
                .debug_list()
                .entries((0..self.rows).map(|_| [0.0; 0]))
                .finish();
        }
        f.debug_list()
            .entries(self.entries.chunks(self.columns))
            .finish()
    }
}
