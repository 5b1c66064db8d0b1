//! The flat record behind a [`Tape`](crate::Tape): every edge of the computation graph,
//! in the order the operations ran.
//!
//! A *node* is one recorded value: a leaf made by [`Tape::var`](crate::Tape::var) or the
//! result of an operation. Node `i` is the `i`-th value recorded. An *edge* joins a node to
//! one of its operands and carries the local partial derivative `∂node/∂operand`, computed
//! while recording. The edges of a node sit next to each other in two parallel arrays,
//! `operands` and `partials`; the first edge of each node has [`FIRST`] set in its operand
//! index, which is all the backward sweep needs to know where one node ends and the next
//! begins. So an operation of one operand costs 12 bytes of tape, one of two operands
//! 24 bytes, and nothing else is stored per node.
//!
//! Node 0 is a *sink*: a leaf gets one edge to it with partial `0.0`, so that leaves
//! are nodes like any other. Its adjoint collects nothing of use and is never read.
//! The *leading* leaves — those made before any operation, as the inputs of a function
//! usually are — get no edge at all: they are nodes `1..=leading`, and the first edge
//! after the sink's belongs to node `leading + 1`.
//!
//! A tape in *second-order* mode (used by the `hessian` and `hvp` drivers) also records
//! the local second derivatives of each nonlinear operation, as [`Curvature`] terms; the
//! first-order recording path only tests a flag for them.

use std::fmt;
use std::rc::Rc;

use crate::edges::Edges;

/// Set in the operand index of the first edge of every node.
const FIRST: u32 = 1 << 31;
/// The bits of an operand index that name a node.
const NODE: u32 = !FIRST;
/// The sink node that leaves point to.
pub(crate) const SINK: u32 = 0;

/// The recorded edges of one tape, and the tape's current generation.
#[derive(Debug)]
pub(crate) struct Storage {
    /// Unique per tape and per [`Tape::clear`](crate::Tape::clear); stamped into every Var.
    pub(crate) generation: u32,
    /// The operand node of each edge, with [`FIRST`] on the first edge of each node, and
    /// `∂node/∂operand`. Its fast path is closed while `extras` is on, so that the
    /// operations that record extras find out with the comparison they make anyway.
    pub(crate) edges: Edges,
    /// How many nodes are recorded, the sink included.
    pub(crate) nodes: u32,
    /// How many leaves were made before any operation: nodes `1..=leading`, which have
    /// no edge.
    pub(crate) leading: u32,
    /// An adjoint buffer handed back by a dropped [`Gradients`](crate::Gradients), so that
    /// a training loop's `backward` reuses it instead of allocating.
    pub(crate) spare_adjoints: Vec<f64>,
    /// Whether operations record anything beyond their edges: `second_order || graph ||
    /// check_numerics`, so that the first-order path tests one flag.
    pub(crate) extras: bool,
    /// Whether operations record their second derivatives in `curvature`.
    pub(crate) second_order: bool,
    /// Whether operations record their name and value in `annotations`, for pictures of
    /// the graph.
    pub(crate) graph: bool,
    /// Whether operations record their name and value in `annotations`, so that the
    /// checked backward sweep can name them.
    pub(crate) check_numerics: bool,
    /// The operation and value of every node, the sink included, while `graph` or
    /// `check_numerics` is on (and empty or shorter for nodes recorded while both were
    /// off).
    pub(crate) annotations: Vec<(&'static str, f64)>,
    /// The constant operands of the operations recorded while `graph` is on, in node
    /// order: the edges leave them out, the pictures show them.
    pub(crate) constants: Vec<ConstantOperand>,
    /// The nonzero second derivatives of the recorded operations, in node order.
    pub(crate) curvature: Vec<Curvature>,
    /// The custom vector rules, in recording order.
    pub(crate) calls: Vec<CustomCall>,
    /// While `check_numerics` is on, each comparison of Vars that found a Var of this
    /// tape exactly equal to 0 or to another Var: the newest node then, and whether it
    /// was a comparison with 0.
    pub(crate) ties: Vec<(u32, bool)>,
}

/// The vector-Jacobian product of a custom vector rule: given the adjoints of its
/// outputs, it writes those of its inputs into a slice of zeros.
pub(crate) type Vjp = Rc<dyn Fn(&[f64], &mut [f64])>;

/// A custom vector rule: outputs recorded as nodes without edges of their own, and a
/// callback that a reverse sweep calls once every edge recorded after them is done.
#[derive(Clone)]
pub(crate) struct CustomCall {
    /// How many edges were recorded before the rule's: a reverse walk reaches the rule
    /// when it has done every edge from here on.
    pub(crate) position: usize,
    /// The first output's node; the others follow it.
    pub(crate) first_output: u32,
    /// How many outputs.
    pub(crate) outputs: u32,
    /// The node of each input, [`SINK`] for a constant (whose adjoint nobody reads).
    pub(crate) inputs: Vec<u32>,
    pub(crate) vjp: Vjp,
}

impl fmt::Debug for CustomCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomCall")
            .field("position", &self.position)
            .field("first_output", &self.first_output)
            .field("outputs", &self.outputs)
            .field("inputs", &self.inputs)
            .finish_non_exhaustive()
    }
}

/// Where a reverse walk stands (see [`Storage::walk_back`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WalkBack {
    /// One past the next edge to do.
    end: usize,
    /// The node of that edge.
    node: usize,
    /// How many custom calls remain to reach.
    calls: usize,
}

/// Calls `f` on the edges `operands` and `partials`, last to first, each with its node:
/// `node` for the last edge, one less past each first edge. Returns the node of the edge
/// before the first. Out of line, so that the loop of every reverse sweep is compiled
/// with nothing else live around it.
#[inline(never)]
fn walk_edges_back(
    operands: &[u32],
    partials: &[f64],
    start: usize,
    mut node: usize,
    mut f: impl FnMut(Edge),
) -> usize {
    for (&operand, &partial) in operands[start..].iter().zip(&partials[start..]).rev() {
        f(Edge {
            node,
            operand,
            partial,
        });
        // The first edge of a node: the edges before it belong to the node before.
        node -= (operand / FIRST) as usize;
    }
    node
}

/// One edge, as a walk over the tape meets it: the node it belongs to, the operand it
/// leads to, and the partial derivative `∂node/∂operand`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Edge {
    pub(crate) node: usize,
    /// The operand index as recorded, with [`FIRST`] on the node's first edge.
    operand: u32,
    pub(crate) partial: f64,
}

impl Edge {
    /// The operand node.
    #[inline(always)]
    pub(crate) fn operand(&self) -> usize {
        (self.operand & NODE) as usize
    }
}

/// A constant operand of an operation, kept for pictures of the graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ConstantOperand {
    /// The operation's node.
    pub(crate) node: u32,
    /// Its place among all the operation's operands, constants included.
    pub(crate) slot: u32,
    /// Its value.
    pub(crate) value: f64,
}

/// One term of the local Hessian of an operation: `∂²node/∂a∂b = value`.
///
/// A term off the diagonal is recorded twice, as `(a, b)` and `(b, a)`, so that the
/// second-order sweep applies each term the same way: it adds `value · adjoint(node) ·
/// tangent(b)` to the second-order adjoint of `a`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Curvature {
    pub(crate) node: u32,
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) value: f64,
}

impl Storage {
    /// An empty record with room for `edges` edges.
    pub(crate) fn new(generation: u32, edges: usize) -> Self {
        let mut storage = Storage {
            generation,
            edges: Edges::with_capacity(edges.max(1)),
            nodes: 0,
            leading: 0,
            spare_adjoints: Vec::new(),
            extras: false,
            second_order: false,
            graph: false,
            check_numerics: false,
            annotations: Vec::new(),
            constants: Vec::new(),
            curvature: Vec::new(),
            calls: Vec::new(),
            ties: Vec::new(),
        };
        storage.clear(generation);
        storage
    }

    /// Forgets every node but the sink and takes a new generation; keeps the capacity.
    pub(crate) fn clear(&mut self, generation: u32) {
        self.generation = generation;
        self.edges.clear();
        self.curvature.clear();
        self.annotations.clear();
        self.constants.clear();
        self.calls.clear();
        self.ties.clear();
        self.nodes = 0;
        self.leading = 0;
        let sink = self.open_node();
        debug_assert_eq!(sink, SINK);
        self.edges.push(SINK | FIRST, 0.0);
        self.annotate("sink", 0.0);
    }

    /// The bytes of memory held: every array's capacity.
    pub(crate) fn held_bytes(&self) -> usize {
        self.edges.held_bytes()
            + self.spare_adjoints.capacity() * size_of::<f64>()
            + self.annotations.capacity() * size_of::<(&'static str, f64)>()
            + self.curvature.capacity() * size_of::<Curvature>()
            + self.calls.capacity() * size_of::<CustomCall>()
    }

    /// The bytes of memory in use by what is recorded, and by the adjoints of the last
    /// backward sweep: the part of [`held_bytes`](Self::held_bytes) that the recording
    /// would need again.
    pub(crate) fn used_bytes(&self) -> usize {
        self.edges.len() * (size_of::<u32>() + size_of::<f64>())
            + self.spare_adjoints.len() * size_of::<f64>()
            + self.annotations.len() * size_of::<(&'static str, f64)>()
            + self.curvature.len() * size_of::<Curvature>()
            + self.calls.len() * size_of::<CustomCall>()
    }

    /// Recorded nodes, the sink not counted.
    pub(crate) fn len(&self) -> usize {
        self.nodes as usize - 1
    }

    /// Takes the next node index. Every node but the leading leaves has an edge, and
    /// [`Edges`] counts those against its limit too, so node indices stay below
    /// [`MAX_EDGES`](crate::edges::MAX_EDGES).
    #[inline(always)]
    fn open_node(&mut self) -> u32 {
        let node = self.nodes;
        self.nodes = node + 1;
        node
    }

    /// Records a leaf: an input of the computation, of value `value`.
    #[inline]
    pub(crate) fn leaf(&mut self, value: f64) -> u32 {
        self.leaves(&[value])
    }

    /// Whether nothing but leaves is recorded, so that a new leaf is a leading one.
    fn only_leaves(&self) -> bool {
        // The sink's edge is the only one.
        self.edges.len() == 1
    }

    /// Records `n` leaves, whose nodes are the returned one and the `n - 1` after it.
    pub(crate) fn leaves(&mut self, values: &[f64]) -> u32 {
        self.nodes_without_operands(values, "input")
    }

    /// Records the outputs of a custom vector rule, of values `outputs`, and the rule:
    /// its inputs' nodes (`SINK` for constants) and its vector-Jacobian product. Returns
    /// the first output's node; the others follow it.
    pub(crate) fn custom_call(&mut self, inputs: Vec<u32>, outputs: &[f64], vjp: Vjp) -> u32 {
        let first_output = self.nodes_without_operands(outputs, "custom_vjp");
        self.calls.push(CustomCall {
            position: self.edges.len(),
            first_output,
            outputs: outputs.len() as u32,
            inputs,
            vjp,
        });
        first_output
    }

    /// Records one node per value, each without an operand on the tape (named `op` in
    /// pictures of the graph): leaves, and the outputs of custom vector rules.
    fn nodes_without_operands(&mut self, values: &[f64], op: &'static str) -> u32 {
        let first = self.nodes;
        if self.only_leaves() {
            self.edges.reserve_edgeless_nodes(values.len());
            self.leading += values.len() as u32;
        } else {
            self.edges.push_copies(values.len(), SINK | FIRST, 0.0);
        }
        // Both branches checked that the nodes stay below MAX_EDGES.
        if self.annotating() {
            for &value in values {
                self.open_node();
                self.annotate(op, value);
            }
        } else {
            self.nodes += values.len() as u32;
        }
        first
    }

    /// Switches the recording of second derivatives on or off.
    pub(crate) fn set_second_order(&mut self, on: bool) {
        self.second_order = on;
        self.update_extras();
    }

    /// Switches the recording of the graph (names, values, constant operands) on or off.
    pub(crate) fn set_graph(&mut self, on: bool) {
        self.graph = on;
        self.update_extras();
    }

    /// Switches the recording of names for the checked backward sweep on or off.
    pub(crate) fn set_check_numerics(&mut self, on: bool) {
        self.check_numerics = on;
        self.update_extras();
    }

    fn update_extras(&mut self) {
        self.extras = self.second_order || self.graph || self.check_numerics;
        self.edges.close_fast_path(self.extras);
    }

    /// Whether operations record their name and value.
    fn annotating(&self) -> bool {
        self.graph || self.check_numerics
    }

    /// The operation that made `node`, if it was recorded.
    pub(crate) fn operation(&self, node: usize) -> Option<&'static str> {
        self.annotations
            .get(node)
            .map(|&(op, _)| op)
            .filter(|&op| op != "?")
    }

    /// Records the operation and value of the newest node, if names are recorded.
    /// Nodes recorded before that was switched on get placeholders.
    #[inline]
    pub(crate) fn annotate(&mut self, op: &'static str, value: f64) {
        if self.annotating() {
            let node = self.nodes as usize - 1;
            if self.annotations.len() < node {
                self.annotations.resize(node, ("?", f64::NAN));
            }
            self.annotations.push((op, value));
        }
    }

    /// Records that the newest node has a constant operand of value `value` at `slot`
    /// among its operands, if the graph is recorded.
    #[inline]
    pub(crate) fn annotate_constant(&mut self, slot: u32, value: f64) {
        if self.graph {
            self.constants.push(ConstantOperand {
                node: self.nodes - 1,
                slot,
                value,
            });
        }
    }

    /// Records a node with one operand `a` and partial `da`, on the fast path: `None`,
    /// and nothing recorded, when the tape must grow or records extras.
    #[inline(always)]
    pub(crate) fn try_unary(&mut self, a: u32, da: f64) -> Option<u32> {
        self.edges
            .try_push([a | FIRST], [da])
            .then(|| self.open_node())
    }

    /// Records a node with operands `a`, `b` and partials `da`, `db`, on the fast path:
    /// `None`, and nothing recorded, when the tape must grow or records extras.
    #[inline(always)]
    pub(crate) fn try_binary(&mut self, a: u32, da: f64, b: u32, db: f64) -> Option<u32> {
        self.edges
            .try_push([a | FIRST, b], [da, db])
            .then(|| self.open_node())
    }

    /// Records a node with one operand `a` and partial `da`, growing the tape if needed.
    pub(crate) fn unary(&mut self, a: u32, da: f64) -> u32 {
        self.nary([(a, da)])
    }

    /// Records a node with operands `a`, `b` and partials `da`, `db`, growing the tape if
    /// needed.
    pub(crate) fn binary(&mut self, a: u32, da: f64, b: u32, db: f64) -> u32 {
        self.nary([(a, da), (b, db)])
    }

    /// Records a node with the given edges, of which there must be at least one.
    #[inline]
    pub(crate) fn nary(&mut self, edges: impl IntoIterator<Item = (u32, f64)>) -> u32 {
        let count = self.edges.push_node(FIRST, edges.into_iter());
        assert!(count > 0, "an operation node has an operand");
        self.open_node()
    }

    /// Records `∂²node/∂a² = value`, if nonzero.
    #[inline]
    pub(crate) fn curve(&mut self, node: u32, a: u32, value: f64) {
        if value != 0.0 {
            self.curvature.push(Curvature {
                node,
                a,
                b: a,
                value,
            });
        }
    }

    /// Records `∂²node/∂a∂b = ∂²node/∂b∂a = value` for two operand slots, if nonzero.
    /// Both terms are recorded even when `a` and `b` are the same node (`x * x`), whose
    /// second derivative then correctly counts the cross term twice.
    #[inline]
    pub(crate) fn curve_cross(&mut self, node: u32, a: u32, b: u32, value: f64) {
        if value != 0.0 {
            self.curvature.push(Curvature { node, a, b, value });
            self.curvature.push(Curvature {
                node,
                a: b,
                b: a,
                value,
            });
        }
    }

    /// The start of a reverse walk over the nodes up to `last` (see
    /// [`walk_back`](Self::walk_back)).
    pub(crate) fn walk_back_from(&self, last: u32) -> WalkBack {
        WalkBack {
            end: self.end_of(last),
            node: last as usize,
            calls: self.calls.partition_point(|call| call.first_output <= last),
        }
    }

    /// Calls `f` on the edges of the walk, from the last edge back, each with its node:
    /// the walk of every reverse sweep. It stops at the next custom call, whose index in
    /// `calls` it returns once every edge recorded after the call is done, so that the
    /// caller can run it and walk on; or at the first edge after the sink's, returning
    /// `None`.
    #[inline(always)]
    pub(crate) fn walk_back(&self, walk: &mut WalkBack, f: impl FnMut(Edge)) -> Option<usize> {
        let call = walk.calls.checked_sub(1);
        let start = call.map_or(1, |call| self.calls[call].position.min(walk.end));
        let operands = &self.edges.operands()[..walk.end];
        let partials = &self.edges.partials()[..walk.end];
        let node = walk_edges_back(operands, partials, start, walk.node, f);
        *walk = WalkBack {
            end: start,
            node,
            calls: call.unwrap_or(0),
        };
        call
    }

    /// The edges of the nodes up to `last` in recording order: the walk of forward
    /// (tangent) sweeps and of pictures. Custom vector rules are not met.
    #[inline(always)]
    pub(crate) fn edges_forward(&self, last: u32) -> impl Iterator<Item = Edge> + '_ {
        let end = self.end_of(last);
        // The leading leaves have no edge: the first edge after the sink's starts the
        // node after them.
        let mut node = self.leading as usize;
        let operands = &self.edges.operands()[1..end];
        let partials = &self.edges.partials()[1..end];
        operands
            .iter()
            .zip(partials)
            .map(move |(&operand, &partial)| {
                node += (operand / FIRST) as usize;
                Edge {
                    node,
                    operand,
                    partial,
                }
            })
    }

    /// One past the last edge of `node`.
    ///
    /// Free for the newest node; for an older one it scans the operand indices recorded
    /// after it, once per backward sweep.
    pub(crate) fn end_of(&self, node: u32) -> usize {
        if node <= self.leading {
            // A leading leaf has no edge: it ends with the sink's.
            return 1;
        }
        let mut next = self.nodes - 1;
        if node == next {
            return self.edges.len();
        }
        for (edge, &operand) in self.edges.operands().iter().enumerate().rev() {
            if operand & FIRST != 0 {
                if next == node + 1 {
                    return edge;
                }
                next -= 1;
            }
        }
        unreachable!("node {node} is not on this tape")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_and_edges_are_counted() {
        let mut s = Storage::new(1, 0);
        assert_eq!(s.len(), 0);
        let a = s.leaf(0.0);
        let b = s.leaf(0.0);
        let c = s.binary(a, 2.0, b, 3.0);
        let d = s.unary(c, 4.0);
        let e = s.nary([(a, 1.0), (b, 1.0), (d, 1.0)]);
        assert_eq!((a, b, c, d, e), (1, 2, 3, 4, 5));
        assert_eq!(s.len(), 5);
        // The sink's edge, none for the leading leaves a and b, then c's, d's and e's.
        assert_eq!(s.edges.len(), 1 + 2 + 1 + 3);
        assert_eq!(s.end_of(e), s.edges.len());
        assert_eq!(s.end_of(d), 4);
        assert_eq!(s.end_of(c), 3);
        assert_eq!(s.end_of(b), 1);
        assert_eq!(s.end_of(a), 1);
        // A leaf after an operation has an edge to the sink.
        let f = s.leaf(0.0);
        assert_eq!((f, s.end_of(f), s.end_of(e)), (6, 8, 7));
        assert_eq!(s.edges.operands()[7], FIRST);
    }

    #[test]
    fn the_fast_path_records_what_the_slow_path_records() {
        let mut fast = Storage::new(1, 100);
        let mut slow = Storage::new(1, 0);
        let (a, b) = (fast.leaf(0.0), fast.leaf(0.0));
        assert_eq!(fast.leaves(&[0.0, 0.0]), 3);
        let c = fast.try_binary(a, 2.0, b, 3.0).unwrap();
        let d = fast.try_unary(c, 4.0).unwrap();
        assert_eq!((a, b, slow.leaf(0.0), slow.leaf(0.0)), (1, 2, 1, 2));
        slow.leaf(0.0);
        slow.leaf(0.0);
        assert_eq!((slow.binary(a, 2.0, b, 3.0), slow.unary(c, 4.0)), (c, d));
        assert_eq!(fast.edges.operands(), slow.edges.operands());
        assert_eq!(fast.edges.partials(), slow.edges.partials());
        assert_eq!(fast.len(), 6);
    }

    #[test]
    fn extras_close_the_fast_path() {
        let mut s = Storage::new(1, 100);
        let a = s.leaf(0.0);
        s.set_second_order(true);
        assert_eq!(s.try_unary(a, 1.0), None);
        assert_eq!(s.try_binary(a, 1.0, a, 1.0), None);
        assert_eq!(s.len(), 1);
        s.set_second_order(false);
        assert_eq!(s.try_unary(a, 1.0), Some(2));
    }

    #[test]
    fn constant_operands_are_kept_only_for_a_graph() {
        let mut s = Storage::new(1, 100);
        let a = s.leaf(1.0);
        s.unary(a, 2.0);
        s.annotate_constant(0, 2.0);
        assert!(s.constants.is_empty());
        s.set_graph(true);
        let b = s.unary(a, 3.0);
        s.annotate_constant(1, 3.0);
        let expected = ConstantOperand {
            node: b,
            slot: 1,
            value: 3.0,
        };
        assert_eq!(s.constants, [expected]);
        s.clear(2);
        assert!(s.constants.is_empty());
    }

    #[test]
    fn clear_keeps_capacity_and_the_sink() {
        let mut s = Storage::new(1, 100);
        for _ in 0..50 {
            s.leaf(0.0);
        }
        let capacity = s.edges.capacity();
        s.clear(2);
        assert_eq!(s.len(), 0);
        assert_eq!(s.generation, 2);
        assert_eq!(s.edges.capacity(), capacity);
        assert_eq!(s.edges.operands(), [FIRST]);
    }
}
