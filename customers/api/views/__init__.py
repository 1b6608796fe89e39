"""The customers app's API views, one module per part of the customer's page."""
