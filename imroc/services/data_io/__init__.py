"""Getting data in and out: exports, imports, the JSON exchange document."""
