"""User-facing text: Jinja2 templates per locale and the renderer (messages/render.py)."""
