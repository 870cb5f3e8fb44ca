"""Audio processing without Django: decode, resample, frame features, waveform peaks."""
