"""The safeguarding evaluation set: recall on disclosures and false alarms on ordinary questions."""
