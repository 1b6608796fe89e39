"""Uploads that cannot fill the disk: no file is stored past IMPORT_MAX_UPLOAD_BYTES.

Django's own handlers keep a whole upload, in memory or in a temporary file, before any
view can look at its size, so a form's size check alone still lets one request write
gigabytes. This handler runs first: past the cap it stops handing chunks on (nothing more is
kept) and ends the file as an empty `OversizedUpload` that still tells its real size, so the
form refuses it with the same clear error as any file over the cap. The body itself is still
read off the socket to its end; the reverse proxy's body limit (``client_max_body_size`` in
nginx) bounds that, and the README says to set it.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """A file refused while it arrived: no content, its size as sent."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class CappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.IMPORT_MAX_UPLOAD_BYTES:
            return None  # the handlers after this one never see the rest
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > settings.IMPORT_MAX_UPLOAD_BYTES:
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset)
        return None  # the next handler (memory or temporary file) has it whole
