"""Work-program writes, by sub-domain: import from the submodule (services.items, services.programs, ...)."""
