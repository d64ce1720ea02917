"""Scrapers: crawl the Local Offer, the OAG and published documents into corpus documents."""
