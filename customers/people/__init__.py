"""The user pages: list, create, manage, bulk import, and the end user's self-service."""
