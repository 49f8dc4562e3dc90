"""numpy/scipy kernels on plain arrays (no pandas, no I/O)."""
