//! [`Edges`]: the two parallel arrays of a tape's edges, written without a bounds check
//! per field on the recording fast path. With [`registry`](crate::registry), the only
//! `unsafe` code of the crate.
//!
//! Both arrays are kept initialized over their whole length, which is the capacity in
//! edges; `len` counts the edges in use. The fast path checks one bound, `len + k ≤
//! fast_end`, for the `k` edges of an operation, and writes them unchecked: `fast_end` is
//! at most the arrays' length, so the writes stay inside. Setting `fast_end` to 0
//! *closes* the fast path, so that every operation takes the slow path of its caller
//! (which grows the arrays, or records extras such as second derivatives) for the cost
//! of that same one comparison.

/// The most edges a tape holds, and the most nodes: node indices fit beside the flag bit
/// of an operand index.
pub(crate) const MAX_EDGES: usize = (1 << 31) - 1;

/// The edges of a tape: the operand node of each, with its flag bits, and `∂node/∂operand`.
#[derive(Debug)]
pub(crate) struct Edges {
    /// The operand index of every edge; initialized over its whole length.
    operands: Vec<u32>,
    /// The partial derivative of every edge; as long as `operands`.
    partials: Vec<f64>,
    /// How many edges are in use.
    len: usize,
    /// How far the fast path may fill: `operands.len()`, or `max_len` if smaller, when
    /// open; 0 when closed.
    fast_end: usize,
    /// Whether the fast path is closed.
    closed: bool,
    /// The most edges these arrays may hold: [`MAX_EDGES`] less the nodes that have
    /// no edge, so that every node index stays below [`MAX_EDGES`].
    max_len: usize,
}

impl Edges {
    /// No edges, with room for `capacity` before growing.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.min(MAX_EDGES);
        Edges {
            operands: vec![0; capacity],
            partials: vec![0.0; capacity],
            len: 0,
            fast_end: capacity,
            closed: false,
            max_len: MAX_EDGES,
        }
    }

    /// How many edges are in use.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes of both arrays.
    pub(crate) fn held_bytes(&self) -> usize {
        self.operands.len() * size_of::<u32>() + self.partials.len() * size_of::<f64>()
    }

    /// How many edges fit before the arrays grow.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.operands.len()
    }

    /// The operand indices of the edges in use.
    #[inline]
    pub(crate) fn operands(&self) -> &[u32] {
        &self.operands[..self.len]
    }

    /// The partial derivatives of the edges in use.
    #[inline]
    pub(crate) fn partials(&self) -> &[f64] {
        &self.partials[..self.len]
    }

    /// Forgets every edge and keeps the memory.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.max_len = MAX_EDGES;
        self.close_fast_path(self.closed);
    }

    /// Lowers the most edges the arrays may hold by `nodes`, for nodes without an edge.
    ///
    /// # Panics
    ///
    /// If fewer edges than `nodes` remain before the limit.
    pub(crate) fn reserve_edgeless_nodes(&mut self, nodes: usize) {
        if self.len.saturating_add(nodes) > self.max_len {
            too_many_edges();
        }
        self.max_len -= nodes;
        self.close_fast_path(self.closed);
    }

    /// Closes the fast path (every [`try_push`](Self::try_push) fails) or opens it.
    pub(crate) fn close_fast_path(&mut self, closed: bool) {
        self.closed = closed;
        self.fast_end = if closed {
            0
        } else {
            self.operands.len().min(self.max_len)
        };
    }

    /// Appends the `K` edges if the fast path is open and they fit, else returns `false`
    /// and changes nothing.
    #[inline(always)]
    pub(crate) fn try_push<const K: usize>(
        &mut self,
        operands: [u32; K],
        partials: [f64; K],
    ) -> bool {
        let len = self.len;
        // `len ≤ MAX_EDGES < 2^31`, so this cannot overflow.
        if len + K > self.fast_end {
            return false;
        }
        for k in 0..K {
            // SAFETY: `len + K ≤ fast_end ≤ operands.len() == partials.len()`: `fast_end`
            // is 0 or at most the arrays' common length, and is set again by
            // `close_fast_path` whenever that length or `max_len` changes (`reserve`,
            // `reserve_edgeless_nodes`, `clear`), the only places that change them.
            unsafe {
                *self.operands.get_unchecked_mut(len + k) = operands[k];
                *self.partials.get_unchecked_mut(len + k) = partials[k];
            }
        }
        self.len = len + K;
        true
    }

    /// Appends one edge, growing the arrays if needed: the slow path.
    pub(crate) fn push(&mut self, operand: u32, partial: f64) {
        self.reserve(1);
        self.operands[self.len] = operand;
        self.partials[self.len] = partial;
        self.len += 1;
    }

    /// Appends the edges of one node, with `first` added to the operand index of the first,
    /// and returns how many there were.
    #[inline]
    pub(crate) fn push_node(
        &mut self,
        first: u32,
        edges: impl Iterator<Item = (u32, f64)>,
    ) -> usize {
        let (lower, upper) = edges.size_hint();
        self.reserve(upper.unwrap_or(lower));
        let start = self.len;
        let mut len = start;
        for (operand, partial) in edges {
            if len == self.operands.len() {
                self.len = len;
                self.reserve(1);
            }
            self.operands[len] = operand;
            self.partials[len] = partial;
            len += 1;
        }
        if len > start {
            self.operands[start] |= first;
        }
        self.len = len;
        len - start
    }

    /// Appends `n` copies of one edge (the edges of `n` leaves).
    pub(crate) fn push_copies(&mut self, n: usize, operand: u32, partial: f64) {
        self.reserve(n);
        let (start, end) = (self.len, self.len + n);
        self.operands[start..end].fill(operand);
        self.partials[start..end].fill(partial);
        self.len = end;
    }

    /// Makes room for `additional` more edges, at least doubling the arrays when they grow.
    ///
    /// # Panics
    ///
    /// If the tape would hold more than [`MAX_EDGES`] edges.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let needed = self.len.saturating_add(additional);
        if needed <= self.operands.len() {
            return;
        }
        if needed > self.max_len {
            too_many_edges();
        }
        let capacity = std::cmp::min(needed.max(2 * self.operands.len()).max(64), self.max_len);
        self.operands.resize(capacity, 0);
        self.partials.resize(capacity, 0.0);
        self.close_fast_path(self.closed);
    }
}

#[cold]
#[inline(never)]
fn too_many_edges() -> ! {
    panic!(
        "tapegrad: a Tape holds at most 2^31 - 1 nodes and edges (an edge per operand of \
         each operation, and per input made after the first operation); clear the tape between independent computations (Tape::clear) or split the work \
         over several tapes"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_fills_the_capacity_then_refuses() {
        let mut edges = Edges::with_capacity(5);
        assert!(edges.try_push([1, 2], [0.5, 1.5]));
        assert!(edges.try_push([3, 4], [2.5, 3.5]));
        assert!(!edges.try_push([5, 6], [4.5, 5.5]));
        assert!(edges.try_push([7], [6.5]));
        assert!(!edges.try_push([8], [7.5]));
        assert_eq!(edges.operands(), &[1, 2, 3, 4, 7]);
        assert_eq!(edges.partials(), &[0.5, 1.5, 2.5, 3.5, 6.5]);
    }

    #[test]
    fn the_slow_path_grows_and_reopens_the_fast_path() {
        let mut edges = Edges::with_capacity(0);
        assert!(!edges.try_push([1], [1.0]));
        edges.push(1, 1.0);
        assert!(edges.capacity() >= 64);
        assert!(edges.try_push([2, 3], [2.0, 3.0]));
        edges.push_copies(200, 9, 0.0);
        assert_eq!(edges.len(), 203);
        assert_eq!(edges.operands()[..4], [1, 2, 3, 9]);
        assert!(edges.operands()[3..].iter().all(|&o| o == 9));
    }

    #[test]
    fn a_closed_fast_path_refuses_until_reopened_even_after_growing() {
        let mut edges = Edges::with_capacity(10);
        edges.close_fast_path(true);
        assert!(!edges.try_push([1], [1.0]));
        edges.reserve(100);
        assert!(!edges.try_push([1], [1.0]));
        edges.close_fast_path(false);
        assert!(edges.try_push([1], [1.0]));
        edges.clear();
        assert_eq!(edges.len(), 0);
        assert!(edges.capacity() >= 100);
    }

    #[test]
    fn a_node_of_many_edges_grows_the_arrays_and_flags_its_first_edge() {
        let mut edges = Edges::with_capacity(3);
        assert!(edges.try_push([7], [0.5]));
        // An iterator that does not tell its length, so that the arrays grow midway.
        let many = (0u32..).take_while(|&i| i < 100).map(|i| (i, f64::from(i)));
        assert_eq!(edges.push_node(1 << 31, many), 100);
        assert_eq!(edges.len(), 101);
        assert_eq!(edges.operands()[..3], [7, 1 << 31, 1]);
        assert_eq!(edges.operands()[100], 99);
        assert_eq!(edges.partials()[100], 99.0);
        assert_eq!(edges.push_node(1 << 31, std::iter::empty()), 0);
        assert_eq!(edges.len(), 101);
    }

    #[test]
    fn nodes_without_edges_lower_the_limit() {
        let mut edges = Edges::with_capacity(0);
        edges.reserve_edgeless_nodes(MAX_EDGES - 3);
        edges.push_copies(3, 0, 0.0);
        let full = std::panic::catch_unwind(move || edges.push(0, 0.0));
        assert!(full.is_err());
    }

    #[test]
    fn the_fast_path_stops_at_the_limit_too() {
        // Room for 10 edges, but only 4 left below the limit.
        let mut edges = Edges::with_capacity(10);
        edges.reserve_edgeless_nodes(MAX_EDGES - 4);
        assert!(edges.try_push([1, 2], [1.0, 2.0]));
        assert!(edges.try_push([3, 4], [3.0, 4.0]));
        assert!(!edges.try_push([5], [5.0]));
        // A clear lifts the limit again.
        edges.clear();
        assert!(edges.try_push([1, 2, 3, 4, 5], [0.0; 5]));
    }
}
