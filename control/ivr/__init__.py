"""IVR: declarative flows (ivr_flows/*.yaml), their validation, and the pure interpreter (docs/ivr.md)."""
