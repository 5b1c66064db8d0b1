//! Pictures of the computation graph: the nodes and edges of known expressions, the
//! DOT text, the SVG, and the errors.

use tapegrad::Tape;
use tapegrad::graph::{GraphError, MAX_NODES};

#[test]
fn inputs_made_after_an_operation_are_drawn_like_the_first_ones() {
    // Inputs made before any operation are stored without an edge, later ones with an
    // edge to a sink node: the picture must not tell them apart.
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(2.0);
    let doubled = x * 3.0;
    let late = tape.var(5.0);
    let y = doubled * late + x;
    let grads = tape.backward(y);
    let graph = tape.graph(y).unwrap().gradients(&grads);
    let ops: Vec<&str> = graph.nodes().iter().map(|n| n.op).collect();
    assert_eq!(ops, ["input", "*", "input", "*", "+"]);
    let mut edges = graph.edges().to_vec();
    edges.sort_unstable();
    // x -> *3 (1); 1, late -> * (3); 3, x -> + (4)
    assert_eq!(edges, [(0, 1), (0, 4), (1, 3), (2, 3), (3, 4)]);
    let gradients: Vec<Option<f64>> = graph.nodes().iter().map(|n| n.gradient).collect();
    // dy/dx = 3 late + 1, dy/d(3x) = late, dy/dlate = 3x.
    assert_eq!(
        gradients,
        [Some(16.0), Some(5.0), Some(6.0), Some(1.0), Some(1.0)]
    );
}

#[test]
fn a_neuron_has_the_expected_nodes_and_edges() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.vars(&[2.0, 0.0]);
    let w = tape.vars(&[-3.0, 1.0]);
    let b = tape.var(6.881_373_587_019_543);
    let unused = tape.var(5.0); // not behind y: not in the graph
    let y = (x[0] * w[0] + x[1] * w[1] + b).tanh();
    let grads = tape.backward(y);
    let graph = tape
        .graph(y)
        .unwrap()
        .gradients(&grads)
        .label(x[0], "x1")
        .label(x[1], "x2")
        .label(w[0], "w1")
        .label(w[1], "w2")
        .label(b, "b")
        .label(unused, "unused");
    let ops: Vec<&str> = graph.nodes().iter().map(|n| n.op).collect();
    // Inputs in creation order, then the operations in the order they ran.
    assert_eq!(
        ops,
        [
            "input", "input", "input", "input", "input", "*", "*", "+", "+", "tanh"
        ]
    );
    let labels: Vec<Option<&str>> = graph.nodes().iter().map(|n| n.label.as_deref()).collect();
    assert_eq!(
        &labels[..5],
        [Some("x1"), Some("x2"), Some("w1"), Some("w2"), Some("b")]
    );
    let mut edges = graph.edges().to_vec();
    edges.sort_unstable();
    // x1, w1 -> *(5); x2, w2 -> *(6); 5, 6 -> +(7); 7, b -> +(8); 8 -> tanh(9)
    assert_eq!(
        edges,
        [
            (0, 5),
            (1, 6),
            (2, 5),
            (3, 6),
            (4, 8),
            (5, 7),
            (6, 7),
            (7, 8),
            (8, 9)
        ]
    );
    // micrograd's neuron example: y = tanh(0.8814) = 0.7071, dy/dx1 = -1.5, dy/dw1 = 1.
    let y_node = graph.nodes().last().unwrap();
    assert!((y_node.value - 0.5f64.sqrt()).abs() < 1e-6);
    assert_eq!(y_node.gradient, Some(1.0));
    assert!((graph.nodes()[0].gradient.unwrap() + 1.5).abs() < 1e-6);
    assert!((graph.nodes()[2].gradient.unwrap() - 1.0).abs() < 1e-6);
}

#[test]
fn dot_lists_every_value_operation_and_edge() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let a = tape.var(2.0);
    let b = tape.var(-3.0);
    let c = a * b + a;
    let graph = tape.graph(c).unwrap().label(a, "a");
    let dot = graph.to_dot();
    assert!(dot.starts_with("digraph tapegrad {"), "{dot}");
    assert!(dot.contains("rankdir=LR"));
    assert!(dot.contains("v0 [label=\"{ a | data 2.0000 }\"];"), "{dot}");
    assert!(dot.contains("v1 [label=\"{ data -3.0000 }\"];"), "{dot}");
    assert!(dot.contains("o2 [label=\"*\", shape=circle];"), "{dot}");
    assert!(dot.contains("o3 [label=\"+\", shape=circle];"), "{dot}");
    for edge in [
        "v0 -> o2", "v1 -> o2", "o2 -> v2", "v2 -> o3", "v0 -> o3", "o3 -> v3",
    ] {
        assert!(dot.contains(edge), "missing {edge} in {dot}");
    }
    assert_eq!(dot.matches("->").count(), 6);
}

#[test]
fn x_times_x_has_one_edge_and_labels_are_escaped() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(3.0);
    let y = x * x;
    let graph = tape.graph(y).unwrap().label(x, "x<{|}>");
    assert_eq!(graph.edges(), [(0, 1)]);
    let dot = graph.to_dot();
    assert!(dot.contains(r"x\<\{\|\}\>"), "{dot}");
    let svg = graph.to_svg();
    assert!(svg.contains("x&lt;{|}&gt;"), "{svg}");
}

#[test]
fn svg_draws_every_value_and_operation() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(0.5);
    let y = (x.exp() * 2.0).ln().relu();
    let graph = tape.graph(y).unwrap().gradients(&tape.backward(y));
    let svg = graph.to_svg();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<circle").count(), 4); // exp, *, ln, relu
    assert_eq!(svg.matches("<rect").count(), 1 + 5); // background + 5 values
    assert_eq!(svg.matches("marker-end").count(), 8); // 4 operations: 4 in, 4 out
    for text in [
        ">exp<",
        ">*<",
        ">ln<",
        ">relu<",
        "data 0.5000",
        "grad 1.0000",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
}

#[test]
fn graphs_need_recording() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let y = x.sin();
    assert_eq!(tape.graph(y), Err(GraphError::NotRecorded));
    assert!(
        GraphError::NotRecorded
            .to_string()
            .contains("record_graph(true)")
    );
}

#[test]
fn recording_can_start_midway_and_only_covers_what_came_after() {
    let mut tape = Tape::new();
    tape.var(1.0);
    tape.record_graph(true);
    let z = tape.var(2.0);
    let y = z * 3.0;
    assert_eq!(tape.graph(y).unwrap().nodes().len(), 2);
}

#[test]
fn a_graph_too_large_to_draw_is_an_error_not_a_hang() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(1.0);
    let mut y = x;
    for _ in 0..100_000 {
        y = y * 1.0001 + 0.5;
    }
    let error = tape.graph(y).unwrap_err();
    assert_eq!(error, GraphError::TooLarge { limit: MAX_NODES });
    assert!(error.to_string().contains("too many to draw"));
}

#[test]
fn a_constant_is_a_one_node_graph() {
    let tape = Tape::new();
    let graph = tape.graph(tapegrad::Var::constant(2.0)).unwrap();
    assert_eq!(graph.nodes().len(), 1);
    assert_eq!(graph.nodes()[0].op, "constant");
}
