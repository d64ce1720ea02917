"""Where things are kept: atomic files and folders, the SQLite file, conversations and feedback."""
