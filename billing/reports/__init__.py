"""The Reports: what a provider, a reseller or a customer reads about its subtree.

- ``usage``: seats per customer and service per day, peak and average, and the chart;
- ``licence``: per customer, the licence-reporting fields and seats per service;
- ``files``: any table as CSV or XLSX (a download or an e-mail attachment).

Each report is read-only and takes the organisation whose subtree it covers; the views decide
who may see it (``view_billing`` on that organisation, through ``core.scoping``).
"""
