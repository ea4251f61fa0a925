"""The pure core: models, state machines, routing, estimates. No sockets, Redis or SQL here."""
