"""Workforce planning, pure (docs/workforce.md): forecast per 15-minute interval, staffing with Erlang C
and shrinkage, a queue simulation to check a plan, and the synthetic history the tests and the demo use."""
