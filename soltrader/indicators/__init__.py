"""Technical indicators: numba kernels (``*_nb``), typed wrappers, and streaming forms."""
