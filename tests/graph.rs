//! Pictures of the computation graph: the nodes and edges of known expressions, the
//! constants among them, the caption, the DOT text, the SVG, and the errors.

use tapegrad::graph::{Graph, GraphError, MAX_NODES};
use tapegrad::{Tape, Var};

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
    assert_eq!(ops, ["input", "constant", "*", "input", "*", "+"]);
    let mut edges = graph.edges().to_vec();
    edges.sort_unstable();
    // x, 3 -> * (2); 2, late -> * (4); 4, x -> + (5)
    assert_eq!(edges, [(0, 2), (0, 5), (1, 2), (2, 4), (3, 4), (4, 5)]);
    let gradients: Vec<Option<f64>> = graph.nodes().iter().map(|n| n.gradient).collect();
    // dy/dx = 3 late + 1, dy/d(3x) = late, dy/dlate = 3x; the constant has none.
    assert_eq!(
        gradients,
        [Some(16.0), None, Some(5.0), Some(6.0), Some(1.0), Some(1.0)]
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
    assert_eq!(svg.matches("<rect").count(), 1 + 6); // background + 5 values + the 2.0
    assert_eq!(svg.matches("stroke-dasharray").count(), 1); // the 2.0
    assert_eq!(svg.matches("marker-end").count(), 9); // 5 operands in, 4 results out
    for text in [
        ">exp<",
        ">*<",
        ">ln<",
        ">relu<",
        "data 0.5000",
        "data 2.0000",
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
    assert_eq!(tape.graph(y).unwrap().nodes().len(), 3); // z, 3.0, z * 3
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

/// A node as [`shape`] lists it: operation, value, gradient.
type Node = (&'static str, f64, Option<f64>);

/// The operation, value and gradient of every node, and the sorted edges.
fn shape(graph: &Graph) -> (Vec<Node>, Vec<(usize, usize)>) {
    let nodes = graph
        .nodes()
        .iter()
        .map(|n| (n.op, n.value, n.gradient))
        .collect();
    let mut edges = graph.edges().to_vec();
    edges.sort_unstable();
    (nodes, edges)
}

#[test]
fn two_times_x_shows_the_two_as_a_leaf_in_dot_and_svg() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(3.0);
    let y = 2.0 * x;
    let graph = tape
        .graph(y)
        .unwrap()
        .gradients(&tape.backward(y))
        .label(x, "x");
    assert_eq!(
        shape(&graph),
        (
            vec![
                ("input", 3.0, Some(2.0)),
                ("constant", 2.0, None),
                ("*", 6.0, Some(1.0))
            ],
            vec![(0, 2), (1, 2)]
        )
    );
    assert!(graph.nodes()[1].is_constant() && !graph.nodes()[0].is_constant());
    let dot = graph.to_dot();
    // A dashed record with the value and no gradient, an edge into `*`, no circle.
    assert!(
        dot.contains("v1 [label=\"{ data 2.0000 }\", style=dashed];"),
        "{dot}"
    );
    assert!(dot.contains("v1 -> o2;"), "{dot}");
    assert!(!dot.contains("o1 "), "{dot}");
    assert!(dot.contains("v0 [label=\"{ x | data 3.0000 | grad 2.0000 }\"];"));
    let svg = graph.to_svg();
    assert!(svg.contains(">data 2.0000</text>"), "{svg}");
    assert_eq!(svg.matches("stroke-dasharray").count(), 1);
    assert_eq!(svg.matches("<circle").count(), 1);
}

#[test]
fn constants_are_leaves_and_each_use_is_its_own() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(0.5);
    let y = (2.0 * x + 1.0).powf(2.0) - 1.0;
    let graph = tape.graph(y).unwrap().gradients(&tape.backward(y));
    let constants: Vec<usize> = (0..graph.nodes().len())
        .filter(|&i| graph.nodes()[i].is_constant())
        .collect();
    let values: Vec<f64> = constants.iter().map(|&i| graph.nodes()[i].value).collect();
    assert_eq!(values, [2.0, 1.0, 2.0, 1.0]);
    for &c in &constants {
        let node = &graph.nodes()[c];
        assert_eq!((node.op, node.gradient), ("constant", None));
        // Nothing flows into a constant, and it feeds exactly the operation after it.
        assert!(graph.edges().iter().all(|&(_, result)| result != c));
        let uses: Vec<usize> = graph
            .edges()
            .iter()
            .filter(|&&(operand, _)| operand == c)
            .map(|&(_, result)| result)
            .collect();
        assert_eq!(uses, [c + 1]);
    }
    assert_eq!(graph.to_dot().matches("style=dashed").count(), 4);
}

#[test]
fn the_operands_keep_their_order_around_a_constant() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(5.0);
    let left = 1.0 - x;
    let right = x - 1.0;
    let graph = tape.graph(left).unwrap();
    // [x, 1.0, 1 - x]: the constant is the first operand.
    assert_eq!(graph.edges(), [(1, 2), (0, 2)]);
    let graph = tape.graph(right).unwrap();
    assert_eq!(graph.edges(), [(0, 2), (1, 2)]);
}

#[test]
fn n_ary_nodes_show_their_constant_operands() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.vars(&[1.0, 2.0]);
    let w = [Var::constant(3.0), Var::constant(4.0)];
    let dot = Var::dot(&x, &w);
    let graph = tape.graph(dot).unwrap().gradients(&tape.backward(dot));
    assert_eq!(
        shape(&graph),
        (
            vec![
                ("input", 1.0, Some(3.0)),
                ("input", 2.0, Some(4.0)),
                ("constant", 3.0, None),
                ("constant", 4.0, None),
                ("dot", 11.0, Some(1.0))
            ],
            vec![(0, 4), (1, 4), (2, 4), (3, 4)]
        )
    );
    let sum = Var::sum(&[x[0], Var::constant(0.5), x[1]]);
    let (nodes, edges) = shape(&tape.graph(sum).unwrap());
    assert_eq!(nodes[2], ("constant", 0.5, None));
    assert_eq!(edges, [(0, 3), (1, 3), (2, 3)]);
    let fused = x[0].mul_add(2.0, 1.0);
    let (nodes, _) = shape(&tape.graph(fused).unwrap());
    let ops: Vec<&str> = nodes.iter().map(|n| n.0).collect();
    assert_eq!(ops, ["input", "constant", "constant", "mul_add"]);
}

#[test]
fn an_iterator_sum_draws_its_constant_terms_as_their_total() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(1.0);
    let terms = [x, Var::constant(2.0), x * x, Var::constant(0.25)];
    let y: Var = terms.iter().sum();
    let (nodes, edges) = shape(&tape.graph(y).unwrap());
    assert_eq!(nodes[2], ("constant", 2.25, None));
    assert_eq!(nodes[3], ("sum", 4.25, None));
    assert_eq!(edges, [(0, 1), (0, 3), (1, 3), (2, 3)]);
    // Without constants there is none.
    let z: Var = [x, x * x].iter().sum();
    assert!(
        tape.graph(z)
            .unwrap()
            .nodes()
            .iter()
            .all(|n| !n.is_constant())
    );
}

#[test]
fn constants_cannot_be_labelled() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(1.0);
    let two = Var::constant(2.0);
    let graph = tape.graph(two * x).unwrap().label(two, "two");
    assert!(graph.nodes().iter().all(|n| n.label.is_none()));
}

#[test]
fn constants_recorded_before_a_clear_are_forgotten() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    {
        let x = tape.var(1.0);
        let _ = 7.0 * x + 8.0;
    }
    tape.clear();
    let x = tape.var(1.0);
    let y = x.exp() * 3.0;
    let values: Vec<f64> = tape
        .graph(y)
        .unwrap()
        .nodes()
        .iter()
        .map(|n| n.value)
        .collect();
    assert_eq!(values, [1.0, 1f64.exp(), 3.0, 3.0 * 1f64.exp()]);
}

#[test]
fn the_caption_is_escaped_in_dot_and_svg_and_fits() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(1.0);
    let y = x.sin();
    let caption = "Neuron 0 on point 0: gradients of its \"output\" <y> & {x|z} \\n\nline 2";
    let graph = tape.graph(y).unwrap().caption(caption);
    let dot = graph.to_dot();
    // Quotes and backslashes escaped, so that the text's `\n` stays text; the line
    // break becomes Graphviz's `\n`.
    let label =
        r#"[label="Neuron 0 on point 0: gradients of its \"output\" <y> & {x|z} \\n\nline 2", "#;
    assert!(dot.contains(label), "{dot}");
    let svg = graph.to_svg();
    let first = "Neuron 0 on point 0: gradients of its &quot;output&quot; \
                 &lt;y&gt; &amp; {x|z} \\n</text>";
    assert!(svg.contains(first), "{svg}");
    assert!(svg.contains(">line 2</text>"), "{svg}");
    assert!(svg.contains("<title>"), "{svg}");
    // The picture is as wide as the caption's first line needs at 14 px in a monospace
    // font (0.6 em a character, DejaVu Sans Mono's advance) with a 20 px margin each
    // side, and the graph sits below it.
    let width: f64 = svg["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"".len()..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let first_line = caption.lines().next().unwrap().chars().count() as f64;
    assert!(width >= 14.0 * 0.6 * first_line + 40.0, "{width}");
    assert!(svg.contains("<g transform=\"translate("), "{svg}");
    // No caption, no label and no title.
    let plain = tape.graph(y).unwrap();
    assert!(!plain.to_dot().contains("graph ["));
    assert!(!plain.to_svg().contains("<title>"));
}

#[test]
fn huge_values_and_noncharacters_stay_drawable() {
    let mut tape = Tape::new();
    tape.record_graph(true);
    let x = tape.var(1e300);
    let y = x * 2.0;
    let grads = tape.backward(y);
    let graph = tape
        .graph(y)
        .unwrap()
        .gradients(&grads)
        .caption("odd \u{FFFF} and \u{FFFE} characters");
    let svg = graph.to_svg();
    assert!(svg.contains("data 2.0000e300"), "{svg}");
    assert!(!svg.contains('\u{FFFF}') && !svg.contains('\u{FFFE}'));
    assert!(svg.contains('\u{FFFD}'));
    // The box stays narrow: no 300-digit number.
    assert!(svg.len() < 5_000, "{}", svg.len());
}
