"""The remote-write protobuf messages, generated from Prometheus 2.42's prompb (see README.md)."""
