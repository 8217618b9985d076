"""The HTTP layer: create_app(settings), thin routers, dependencies, problem details."""
