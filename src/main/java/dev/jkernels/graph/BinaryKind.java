package dev.jkernels.graph;

/** The element-wise binary ops of a graph (ONNX Add, Mul, and PRelu with per-channel slopes). */
enum BinaryKind { ADD, MUL, PRELU }
