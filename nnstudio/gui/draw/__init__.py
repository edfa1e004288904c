"""The Draw page: the canvas, the answer and its confidence, probes, and teaching the
network your handwriting."""
