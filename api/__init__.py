"""The REST API (FastAPI) and the small client the CLI uses. Imports manifests, store and
controller; never Docker: a GET reads the store only."""
