"""What the benchmarks serve besides the product (a package, so `make bench` does not run it)."""
