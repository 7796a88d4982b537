"""One reconciler per kind. Each is observe (one runtime snapshot) -> plan (pure) -> execute."""
