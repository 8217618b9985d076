"""Offline JSON-LD: the shipped contexts and RDF Dataset Canonicalization."""
