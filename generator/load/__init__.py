"""Step 1, load: read the schema files (source positions kept) and validate them against the metaschema."""
