"""Every page knows whether a directory is connected, so provisioning pages can say so."""

from provisioning.engine.connection import directory_connected


def directory_status(request):
    return {"directory_connected": directory_connected()}
