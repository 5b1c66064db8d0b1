//! A small neural-network library on the tape, in the spirit of micrograd's `nn`.
