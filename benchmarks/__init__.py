"""Side-by-side measurements of gradformer against PyTorch (CPU) and DeZero:
``python -m benchmarks`` (the harness: training step, greedy decoding,
per-op overhead, matrix products, profile, equivalence check) and the
stand-alone ``python -m benchmarks.op_overhead``, ``benchmarks.tasks``,
``benchmarks.checkpointing``, ``benchmarks.levers``, ``benchmarks.thread_wake``,
``benchmarks.data_parallel`` and ``benchmarks.multi30k``. Not packaged in
the wheel; it may import NumPy and PyTorch itself, and nothing in the
library imports it.

Importing this package loads nothing: the PyTorch worker process must
never load autograd or NumPy, nor the gradformer worker torch."""
