"""The Fleet Freedom SDK generator: schema/ (YAML) -> generated/ (the `fleetfreedom` package, docs, exports)."""
