"""Importers from model formats (ONNX float, QDQ and QONNX) into the `dataflow` dialect."""
