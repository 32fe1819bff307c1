"""The spec language: JSON Schema, safe YAML loader, frozen model, lint. Never imports Flask."""
