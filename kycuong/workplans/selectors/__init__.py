"""Work-program reads, by sub-domain: import from the submodule (selectors.outcomes, selectors.board, ...)."""
