"""Step 4, format: black behind a content-hash cache, on all cores."""
