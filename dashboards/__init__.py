"""The web side of the service: status page and JSON API now; the Dash dashboard builds on the same server."""
