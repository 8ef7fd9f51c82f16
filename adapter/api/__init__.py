"""The HTTP service of `referee serve`: FastAPI routers that only wire things together.

app.create_app(settings)    the ASGI app
settings.Settings           database URL and limits, from flags or REFEREE_* variables
"""
