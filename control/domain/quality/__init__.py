"""Quality analysis of recorded calls, pure (docs/quality.md): speech segments per side, the call's
acoustic metrics, phrase spotting on transcripts, scorecards and calibration. No I/O: the worker's
adapters read the WAV, run the voice-activity detector and the speech-to-text engine, and store rows."""
