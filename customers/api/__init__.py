"""The customers app's part of the API: organisations, customers, users, API keys."""
