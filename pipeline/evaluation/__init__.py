"""Step `evaluate`: held-out scores, predictions and inference latency of a trained model."""
