"""The primitive ops. Each is a Function subclass with its forward and backward side by side."""

from minigrad.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from minigrad.ops.linalg import Linear, LinearReLU, MatMul
from minigrad.ops.losses import BCEWithLogits, CrossEntropy, LogSoftmax, Softmax
from minigrad.ops.reductions import LogSumExp, Max, Mean, Min, Sum
from minigrad.ops.selection import Maximum, Minimum, Where
from minigrad.ops.shaping import Concatenate, GetItem, Reshape, Stack, Transpose
from minigrad.ops.unary import GELU, Abs, Clip, Exp, LeakyReLU, Log, ReLU, Sigmoid, Sqrt, Tanh

__all__ = [
    "Abs", "Add", "BCEWithLogits", "Clip", "Concatenate", "CrossEntropy", "Div", "Exp", "GELU",
    "GetItem", "LeakyReLU", "Linear", "LinearReLU", "Log", "LogSoftmax", "LogSumExp", "MatMul",
    "Max", "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "Pow", "ReLU", "Reshape",
    "Sigmoid", "Softmax", "Sqrt", "Stack", "Sub", "Sum", "Tanh", "Transpose", "Where",
]
