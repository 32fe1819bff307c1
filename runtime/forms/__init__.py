"""Rendering and validation of forms described by specs (field-type registry,
page forms, wizard logic, upload checks)."""
