"""Maintainer tools beside the pipeline: schema diff, changelog and release, revisions, coverage of the reference
catalogue, comparison with the vendor's wire.
"""
