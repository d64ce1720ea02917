"""Full answer-quality evaluation: retrieval and chat on evaluation sets, with a report for staff."""
