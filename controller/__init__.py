"""The controller: a work queue of (kind, name) keys, the triggers that fill it, and the
manager whose workers run one reconciler per kind. Imports manifests, store and runtime only."""
