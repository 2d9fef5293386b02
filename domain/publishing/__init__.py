"""Publishing: the database decides what is due; workers claim, publish and record."""
