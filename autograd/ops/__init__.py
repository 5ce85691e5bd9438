"""The op set, grouped by kind. Importing this package registers every op."""
from . import (arithmetic, checkpoint, cross_entropy, dropout, embedding,  # noqa: F401
               indexing, linalg, normalization, reduction, shape, softmax, unary)
