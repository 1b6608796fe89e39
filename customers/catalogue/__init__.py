"""The service catalogue pages: services and plans, and the services of each customer."""
