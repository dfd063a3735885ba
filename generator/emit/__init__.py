"""Step 3, emit: the IR into files (pydantic models via datamodel-code-generator, Jinja templates for the package
and docs, the registry, AsyncAPI and JSON Schema exports).
"""
