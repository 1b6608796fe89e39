"""Billing reads customers and provisioning; its models arrive with the billing issue."""
