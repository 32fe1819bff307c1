"""Web layer: one blueprint per domain; views only coordinate."""
