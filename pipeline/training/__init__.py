"""Step `train`: model assembly, fitting, acceleration (XLA, precision, distribution) and resumable checkpoints."""
