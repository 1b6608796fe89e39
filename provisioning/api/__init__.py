"""The provisioning app's part of the API: jobs."""
