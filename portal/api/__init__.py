"""The API's root: authentication by API key, the /api/v1/ URLs, the schema and its docs."""
