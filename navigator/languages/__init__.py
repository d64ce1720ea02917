"""The languages families write in: detection, localised strings, and the multilingual glossary with its matcher."""
