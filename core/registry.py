"""Names that the apps below learn from the apps above, at start-up, without importing them.

The service catalogue form (``customers``) lists every service driver, but drivers live in
``provisioning``, above it. ``provisioning`` registers each driver's code and label here
when it loads; the form reads them.
"""

SERVICE_DRIVER_LABELS: dict[str, str] = {}


def register_service_driver(code: str, label: str) -> None:
    SERVICE_DRIVER_LABELS[code] = label


def unregister_service_driver(code: str) -> None:
    SERVICE_DRIVER_LABELS.pop(code, None)
