"""The standards, pure: no web framework, no database, no network of its own."""
