"""The employer's verification page: static HTML, CSS and JavaScript, no build step."""
