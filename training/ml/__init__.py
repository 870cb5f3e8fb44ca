"""The detector's learning code: targets and inputs, the network, the training loop, metrics,
post-processing and the model file. No Django imports: services call these with arrays."""
