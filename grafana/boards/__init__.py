"""One module per dashboard; each has ``board() -> Board``."""
