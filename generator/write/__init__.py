"""Step 5, write: generated/ swapped in atomically, or compared with what would be written."""
