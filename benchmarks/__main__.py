"""``python -m benchmarks``: the harness (see ``benchmarks.harness``)."""
from .harness import main

if __name__ == "__main__":
    main()
