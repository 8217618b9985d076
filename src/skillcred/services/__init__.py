"""Use cases that combine the core with storage: providers, keys, issuance, status, audit.

Services never commit: the caller (the HTTP request scope or the CLI command) owns the
transaction and commits or rolls back once.
"""
