"""Backend kinds for scoring configs: one module per kind, named after it, defining ``BACKEND``.

Listed by ``cje_fp.backends._registry.backend_kinds()`` without being imported."""
