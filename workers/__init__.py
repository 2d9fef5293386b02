"""arq workers: thin job functions that call domain services."""
