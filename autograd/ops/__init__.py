"""The op set, grouped by kind. Importing this package registers every op."""
from . import (arithmetic, cross_entropy, dropout, embedding, linalg,  # noqa: F401
               normalization, reduction, shape, softmax, unary)
