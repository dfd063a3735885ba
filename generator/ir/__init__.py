"""Step 2, the API model (IR): frozen dataclasses built from the documents, every Python name, and the queries on
them (one signature derivation for code and docs).
"""
