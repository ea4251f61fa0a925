"""Call handling, wazo-agentd style: entry (call.py), rules (manager.py), side effects (actions.py)."""
