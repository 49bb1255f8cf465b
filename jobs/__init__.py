"""The service's scheduled jobs and the process that runs them beside the web server."""
