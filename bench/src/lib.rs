//! An unpublished member: `cargo bench -p tapegrad-bench --bench compare` (see `benches/compare.rs`).
