"""The FastAPI service: health, search (and later chat), with JSON errors."""
